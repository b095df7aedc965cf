"""Drives the SLA tracker as its consumer would, and reads back what it published."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from shared.clock import FrozenClock
from shared.consumer import HandlerContext
from shared.events import EVENT_TYPES, ComplaintReceived, Event, envelope_for
from shared.service import Service
from sla_tracker import scheduler
from sla_tracker.models import outbox


class SlaDriver:
    """The service plus helpers: deliver events, tick the scheduler, list published events."""

    def __init__(self, service: Service, clock: FrozenClock) -> None:
        self.service = service
        self.clock = clock
        self.rules = service.context.rules
        self._routes = {t: h for t, h in service.consumers[0]._routes.items()}

    async def deliver(self, event: Event) -> None:
        """Handle one event in its own unit of work, as the consumer does."""
        handler = self._routes[event.type]
        async with self.service.unit_of_work() as uow:
            envelope = envelope_for(event, source="test", time=self.clock.now())
            await handler(event, HandlerContext(uow=uow, envelope=envelope))

    async def receive(self, complaint_id: str, received_at: datetime, **fields) -> None:
        """Deliver a ComplaintReceived."""
        await self.deliver(ComplaintReceived(complaint_id=complaint_id, reference=f"KS-{complaint_id}",
                                             channel=fields.pop("channel", "web"), received_at=received_at,
                                             content="x", **fields))

    async def tick(self, *, limit: int = 500) -> int:
        """One scheduler pass at the current clock time."""
        async with self.service.unit_of_work() as uow:
            return await scheduler.issue_due_alerts(uow, self.rules, limit=limit)

    async def advance_to(self, instant: datetime) -> None:
        """Move the clock to an instant and run the scheduler until nothing is due."""
        self.clock.advance(instant - self.clock.now())
        while await self.tick():
            pass

    def advance(self, delta: timedelta) -> None:
        """Move the clock without ticking."""
        self.clock.advance(delta)

    async def published(self, *types: type[Event]) -> list[Event]:
        """Every event in the outbox, oldest first, optionally of some types."""
        async with self.service.engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.headers, outbox.c.payload).order_by(outbox.c.id))).all()
        events = [EVENT_TYPES[dict(h)["ce_type"]].model_validate_json(p) for h, p in rows]
        return [e for e in events if not types or isinstance(e, types)]

    async def clocks(self, complaint_id: str) -> dict[str, dict]:
        """The API view of a complaint's clocks, by clock name (latest generation wins)."""
        from sla_tracker.api import get_clocks

        read = await get_clocks(complaint_id, self.service.context)
        return {c.clock_name: c.model_dump() for c in read.clocks}
