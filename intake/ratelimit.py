"""Per-key token buckets (in this process): pure logic with the time passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Bucket:
    """Tokens refill at ``rate`` per second up to ``burst``; each request takes one."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0 when the request may pass (a token is taken), else the seconds until one is free."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """One bucket per API key; a key's own rate overrides the default."""

    def __init__(self, default_rate: float, burst_seconds: float = 2.0) -> None:
        self.default_rate = default_rate
        self.burst_seconds = burst_seconds
        self._buckets: dict[str, Bucket] = {}

    def check(self, key_id: str, now: float, rate: float | None = None) -> int:
        """0 to let a request through, else the whole seconds a client should wait (Retry-After)."""
        rate = rate or self.default_rate
        bucket = self._buckets.get(key_id)
        if bucket is None or bucket.rate != rate:
            burst = max(1.0, rate * self.burst_seconds)
            bucket = self._buckets[key_id] = Bucket(rate, burst, burst, now)
        wait = bucket.take(now)
        return math.ceil(wait) if wait else 0
