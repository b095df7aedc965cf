"""The retry policy: bounded, exponential, jittered; permanent errors are not retried."""

from __future__ import annotations

import pytest

from shared.retry import PermanentError, RetryPolicy


def test_delays_grow_exponentially_within_jitter():
    policy = RetryPolicy(max_attempts=6, initial_s=1.0, max_s=100.0, jitter_s=0.5)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)]:
        delay = policy.delay_after(attempt)
        assert base <= delay <= base + 0.5


def test_delays_are_capped():
    policy = RetryPolicy(initial_s=1.0, max_s=5.0, jitter_s=0.0)
    assert policy.delay_after(20) == 5.0


def test_jitter_spreads_retries():
    policy = RetryPolicy(initial_s=1.0, max_s=100.0, jitter_s=1.0)
    assert len({round(policy.delay_after(3), 6) for _ in range(20)}) > 1


async def test_gives_up_after_max_attempts_and_reraises():
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    calls = 0
    with pytest.raises(ConnectionError):
        async for attempt in RetryPolicy(max_attempts=3, initial_s=0.1, jitter_s=0).retrying(sleep=sleep):
            with attempt:
                calls += 1
                raise ConnectionError("database down")
    assert calls == 3
    assert sleeps == [0.1, 0.2]


async def test_permanent_error_is_not_retried():
    calls = 0
    with pytest.raises(PermanentError):
        async for attempt in RetryPolicy(max_attempts=5).retrying():
            with attempt:
                calls += 1
                raise PermanentError("cannot ever succeed")
    assert calls == 1
