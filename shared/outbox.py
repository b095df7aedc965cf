"""The outbox relay: the only code that publishes to the bus."""

from __future__ import annotations

import asyncio
import time
import zlib
from datetime import timedelta

import structlog
from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus, Record
from shared.clock import Clock
from shared.db import is_postgres, session_factory
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED

log = structlog.get_logger()
HOUSEKEEPING_EVERY_S = 10.0  # backlog gauge refresh and pruning of published rows


class OutboxRelay:
    """Publishes committed outbox rows in order, one relay at a time per table."""

    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        table: Table,
        bus: Bus,
        clock: Clock,
        batch_size: int = 500,
        interval_s: float = 0.05,
        linger_s: float = 0.0,
        retention: timedelta = timedelta(hours=72),
    ) -> None:
        self.service = service
        self._engine = engine
        self._sessions = session_factory(engine)
        self._table = table
        self._bus = bus
        self._clock = clock
        self._batch_size = batch_size
        self._interval_s = interval_s
        self._linger_s = linger_s
        self._retention = retention
        self._wakeup = asyncio.Event()
        # Two relays on one table take turns through this lock, so order per key holds.
        self._lock_id = zlib.crc32(table.name.encode())
        # Built once: under load, constructing these per batch cost more CPU than running them.
        self._take_turn = select(func.pg_try_advisory_xact_lock(self._lock_id))
        self._pending = (select(table).where(table.c.published_at.is_(None))
                         .order_by(table.c.id).limit(self._batch_size))
        self._mark = (update(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
                      .values(published_at=bindparam("now")))

    def wake(self) -> None:
        """Publish soon: a unit of work just committed outbox rows."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until cancelled; bus or database failures back off and try again."""
        failures = 0
        next_housekeeping = 0.0
        while True:
            try:
                published = await self.publish_pending()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the relay must outlive broker and DB outages
                failures += 1
                log.warning("outbox relay failed", service=self.service, error=repr(exc), failures=failures)
                await asyncio.sleep(min(30.0, 0.2 * 2**failures))
                continue
            # By time, not by tick count: an idle relay ticks only every interval_s.
            if time.monotonic() >= next_housekeeping:
                await self._housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY_S
            if published is None:
                # Another relay has the turn; rows this process committed meanwhile need us soon.
                await asyncio.sleep(min(0.02, self._interval_s))
            elif published < self._batch_size:
                await self._idle()

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self._wakeup.wait(), self._interval_s)
        except TimeoutError:
            pass
        else:
            # Commits landing within the linger share one transaction and one bus send.
            if self._linger_s > 0:
                await asyncio.sleep(self._linger_s)
        self._wakeup.clear()

    async def publish_pending(self) -> int | None:
        """Publish one batch of unpublished rows and mark them; how many, or None if another relay has the turn."""
        async with self._sessions() as session, session.begin():
            if is_postgres(self._engine):
                locked = await session.scalar(self._take_turn)
                if not locked:
                    return None
            rows = (await session.execute(self._pending)).all()
            if not rows:
                return 0
            await self._bus.publish([_record(row) for row in rows])
            await session.execute(self._mark, {"ids": [row.id for row in rows], "now": self._clock.now()})
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def backlog(self) -> int:
        """Rows committed but not yet published."""
        query = select(func.count()).select_from(self._table).where(self._table.c.published_at.is_(None))
        async with self._engine.connect() as conn:
            return int(await conn.scalar(query))

    async def _housekeeping(self) -> None:
        OUTBOX_BACKLOG.labels(self.service).set(await self.backlog())
        cutoff = self._clock.now() - self._retention
        async with self._engine.begin() as conn:
            await conn.execute(delete(self._table).where(self._table.c.published_at < cutoff))


def _record(row) -> Record:
    headers = tuple((name, value.encode()) for name, value in row.headers)
    return Record(topic=row.topic, key=row.key.encode() if row.key else None, value=row.payload, headers=headers)
