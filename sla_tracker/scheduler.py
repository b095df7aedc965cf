"""The deadline scheduler: issue each due warning, breach and escalation exactly once.

Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite's BEGIN
IMMEDIATE serialises writers), and a clock's ``warned_level`` advances in the same
transaction as the outbox rows, so two replicas never emit the same alert twice and a
restart resumes where the last commit left off.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from shared.db import is_postgres
from shared.events import Event, SlaBreached, SlaEscalated, SlaWarningIssued
from shared.uow import UnitOfWork
from sla_tracker import rollup
from sla_tracker.deadlines import threshold_instant
from sla_tracker.lifecycle import Rules, next_check
from sla_tracker.models import clocks
from sla_tracker.policies import Policy
from sla_tracker.telemetry import ALERTS


async def issue_due_alerts(uow: UnitOfWork, rules: Rules, *, limit: int = 500) -> int:
    """Emit every threshold passed by a running or breached clock; returns the clocks handled."""
    now = uow.clock.now()
    query = (
        select(clocks)
        .where(clocks.c.next_check_at <= now, clocks.c.state.in_(("running", "breached")))
        .order_by(clocks.c.next_check_at)
        .limit(limit)
    )
    if is_postgres(uow.session.bind):
        query = query.with_for_update(skip_locked=True)
    rows = (await uow.session.execute(query)).all()
    for row in rows:
        await _advance(uow, rules.policy_of(row), row, now)
    return len(rows)


async def _advance(uow: UnitOfWork, policy: Policy, row, now: datetime) -> None:
    done = row.warned_level
    for level in policy.thresholds():
        if level <= done or threshold_instant(row.started_at, row.due_at, level) > now:
            continue
        for event in alerts_for(policy, row, level, now):
            await uow.publish(event)
            ALERTS.labels(row.policy, type(event).__name__).inc()
        done = level
    values = {"warned_level": done, "next_check_at": next_check(policy, row.started_at, row.due_at, done)}
    if done >= 100 and row.breached_at is None:
        values |= {"state": "breached", "breached_at": now}
    await rollup.update_clock(uow, row.id, **values)


def alerts_for(policy: Policy, row, level: int, now: datetime) -> list[Event]:
    """What one threshold emits: a warning, the breach, and any escalation step at that level."""
    common = dict(complaint_id=row.complaint_id, clock_id=row.id, policy=row.policy,
                  clock_name=row.clock_name, due_at=row.due_at)
    events: list[Event] = []
    if level in policy.warning_levels and level < 100:
        events.append(SlaWarningIssued(**common, level=level, issued_at=now))
    if level == 100:
        events.append(SlaBreached(**common, breached_at=now))
    for index, step in enumerate(policy.escalation, start=1):
        if step.level == level:
            events.append(SlaEscalated(**common, step=index, escalate_to=step.to, escalated_at=now))
    return events
