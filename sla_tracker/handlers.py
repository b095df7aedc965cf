"""SLA tracker use cases: start and stop clocks on events; issue warnings and breaches when due."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from shared.consumer import HandlerContext
from shared.db import is_postgres
from shared.events import CaseStatusChanged, ComplaintReceived, SlaBreached, SlaClockStarted, SlaClockStopped, SlaWarningIssued
from shared.uow import UnitOfWork
from sla_tracker.deadlines import CLOCK, DECISION_DAYS, POLICY, calendar_deadline, next_level, threshold_instant
from sla_tracker.models import clocks

STOPPING_STATUSES = {"decision_issued", "closed", "withdrawn"}


def _next_check(started_at: datetime, due_at: datetime, levels: list[int], warned: int) -> datetime | None:
    level = next_level(levels, warned)
    return None if level is None else threshold_instant(started_at, due_at, level)


async def start_decision_clock(event: ComplaintReceived, ctx: HandlerContext, *, tz: str, levels: list[int]) -> None:
    """Start the 15-day decision clock at the moment of receipt."""
    deadline = calendar_deadline(event.received_at, DECISION_DAYS, tz)
    clock_id = str(uuid.uuid4())
    await ctx.uow.session.execute(
        insert(clocks).values(
            id=clock_id, complaint_id=event.complaint_id, policy=POLICY, clock_name=CLOCK, state="running",
            started_at=event.received_at, due_at=deadline.due_at, due_date=deadline.due_date,
            provisional=False, warned_level=0,
            next_check_at=_next_check(event.received_at, deadline.due_at, levels, 0),
        )
    )
    await ctx.uow.publish(
        SlaClockStarted(
            complaint_id=event.complaint_id, clock_id=clock_id, policy=POLICY, clock_name=CLOCK,
            started_at=event.received_at, due_at=deadline.due_at, due_date=deadline.due_date,
        ),
        caused_by=ctx.envelope,
    )


async def on_case_status_changed(event: CaseStatusChanged, ctx: HandlerContext) -> None:
    """A decision, closure or withdrawal stops the complaint's running clocks."""
    if event.to_status not in STOPPING_STATUSES:
        return
    query = select(clocks).where(clocks.c.complaint_id == event.complaint_id, clocks.c.state.in_(("running", "breached")))
    for clock in (await ctx.uow.session.execute(query)).all():
        outcome = "met" if event.changed_at <= clock.due_at else "missed"
        await ctx.uow.session.execute(
            update(clocks).where(clocks.c.id == clock.id).values(
                state="stopped", outcome=outcome, stopped_at=event.changed_at, next_check_at=None
            )
        )
        await ctx.uow.publish(
            SlaClockStopped(
                complaint_id=clock.complaint_id, clock_id=clock.id, policy=clock.policy,
                clock_name=clock.clock_name, outcome=outcome, stopped_at=event.changed_at,
                reason=event.to_status,
            ),
            caused_by=ctx.envelope,
        )


async def issue_due_alerts(uow: UnitOfWork, *, levels: list[int], limit: int = 500) -> int:
    """Warn or breach every clock whose next threshold has passed; returns clocks handled.

    Rows are locked (SKIP LOCKED on PostgreSQL), and the level is advanced in the same
    transaction as the outbox row, so two schedulers never emit the same alert twice.
    """
    now = uow.clock.now()
    query = (
        select(clocks)
        .where(clocks.c.next_check_at <= now, clocks.c.state == "running")
        .order_by(clocks.c.next_check_at)
        .limit(limit)
    )
    if is_postgres(uow.session.bind):
        query = query.with_for_update(skip_locked=True)
    rows = (await uow.session.execute(query)).all()
    for clock in rows:
        await _advance(uow, clock, levels, now)
    return len(rows)


async def _advance(uow: UnitOfWork, clock, levels: list[int], now: datetime) -> None:
    warned = clock.warned_level
    while (level := next_level(levels, warned)) is not None and threshold_instant(clock.started_at, clock.due_at, level) <= now:
        await uow.publish(_alert(clock, level, now))
        warned = level
    values = {"warned_level": warned, "next_check_at": _next_check(clock.started_at, clock.due_at, levels, warned)}
    if warned >= 100:
        values |= {"state": "breached", "breached_at": now}
    await uow.session.execute(update(clocks).where(clocks.c.id == clock.id).values(**values))


def _alert(clock, level: int, now: datetime) -> SlaWarningIssued | SlaBreached:
    common = dict(complaint_id=clock.complaint_id, clock_id=clock.id, policy=clock.policy,
                  clock_name=clock.clock_name, due_at=clock.due_at)
    if level >= 100:
        return SlaBreached(**common, breached_at=now)
    return SlaWarningIssued(**common, level=level, issued_at=now)


async def clocks_for(uow: UnitOfWork, complaint_id: str) -> list:
    """Every clock of a complaint."""
    query = select(clocks).where(clocks.c.complaint_id == complaint_id).order_by(clocks.c.started_at)
    return (await uow.session.execute(query)).all()
