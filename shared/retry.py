"""Retry policy: bounded attempts, exponential backoff with jitter (tenacity does the maths)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)


class PermanentError(Exception):
    """A failure that retrying cannot fix: the message goes straight to the dead-letter queue."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing operation is tried again."""

    max_attempts: int = 8
    initial_s: float = 0.5
    max_s: float = 30.0
    jitter_s: float = 0.5

    def wait(self) -> wait_exponential_jitter:
        """The tenacity wait strategy: initial * 2**(n-1), capped, plus up to jitter_s."""
        return wait_exponential_jitter(multiplier=self.initial_s, max=self.max_s, jitter=self.jitter_s)

    def delay_after(self, failed_attempts: int) -> float:
        """Seconds to wait after the given number of failed attempts (for stored schedules)."""
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = failed_attempts
        return self.wait()(state)

    def retrying(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> AsyncRetrying:
        """An AsyncRetrying that gives up after max_attempts and never retries PermanentError."""
        extra = {"sleep": sleep} if sleep else {}
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait(),
            retry=retry_if_not_exception_type(PermanentError),
            reraise=True,
            **extra,
        )
