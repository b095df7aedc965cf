"""Small fakes standing in for infrastructure the integration tests do not exercise."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.bus import Record


class RecordingBus:
    """A bus that records what it was asked to publish, and can be told to fail."""

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.published: list[Record] = []
        self.batch_sizes: list[int] = []
        self.failing = False
        self._delay_s = delay_s

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def publish(self, records: Sequence[Record]) -> None:
        """Record the batch after an optional delay (to let concurrent relays interleave)."""
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.published.extend(records)
        self.batch_sizes.append(len(records))

    def event_ids(self) -> list[str]:
        """The ce_id header of every published record, in publish order."""
        return [dict(r.headers)["ce_id"].decode() for r in self.published]
