"""The per-case timeline: every consumed event and every staff action, in event-time order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from services.cases.models import timeline
from shared.events import Envelope, Event

# Bulky or free-text fields kept on the case itself, not repeated in every timeline entry.
_LEFT_OUT = {"content", "subject", "explanation", "confidence"}


async def add(session, complaint_id: str, *, kind: str, source: str, occurred_at: datetime,
              actor: str | None = None, data: dict | None = None, event_id: str | None = None) -> None:
    """Append one entry to a case's timeline."""
    await session.execute(insert(timeline).values(
        complaint_id=complaint_id, event_id=event_id, kind=kind, source=source, occurred_at=occurred_at,
        actor=actor, data=data or {},
    ))


async def add_event(session, event: Event, envelope: Envelope) -> None:
    """Record a consumed event under its complaint, at its CloudEvents time."""
    data = {k: v for k, v in event.model_dump(mode="json").items() if k not in _LEFT_OUT | {"complaint_id"}}
    await add(session, event.complaint_id, kind=event.type, source=envelope.source, occurred_at=envelope.time,
              data=data, event_id=envelope.id)


async def for_case(session, complaint_id: str) -> list[dict]:
    """A case's timeline, ordered by event time, then by the order it was recorded."""
    query = (select(timeline).where(timeline.c.complaint_id == complaint_id)
             .order_by(timeline.c.occurred_at, timeline.c.seq))
    return [dict(row._mapping) for row in (await session.execute(query)).all()]
