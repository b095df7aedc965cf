"""Clock rows through their life: start, reschedule, pause, resume, stop (inside a unit of work)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update

from shared.events import Envelope, SlaClockStarted, SlaClockStopped
from shared.uow import UnitOfWork
from sla_tracker import rollup
from sla_tracker.calendar import BusinessCalendar
from sla_tracker.deadlines import Deadline, allowed_amount, compute_deadline, next_level, threshold_instant
from sla_tracker.models import clocks, extensions, pauses
from sla_tracker.policies import ClockDef, Policy, PolicyBook

OPEN_STATES = rollup.OPEN_STATES


@dataclass
class Rules:
    """The policy book and the calendars (packaged data plus imports) a service computes with."""

    book: PolicyBook
    calendars: dict[str, BusinessCalendar]
    jurisdiction: str = "CN"
    imports_seen: int = field(default=0)

    def policy_of(self, row) -> Policy:
        """The exact policy version a clock row was started under."""
        return self.book.get(row.policy, version=row.policy_version or None)

    def clock_def(self, row) -> ClockDef:
        """A row's clock definition, with the variant for its business line."""
        return self.policy_of(row).clock(row.clock_name).for_business_line(row.business_line)


def next_check(policy: Policy, started_at: datetime, due_at: datetime, done: int) -> datetime | None:
    """When the next threshold (warning, breach, escalation) falls, or None when all are done."""
    level = next_level(policy.thresholds(), done)
    return None if level is None else threshold_instant(started_at, due_at, level)


async def closed_pauses(uow: UnitOfWork, clock_id: str, until: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """A clock's pauses; an open one counts as ending at ``until`` (or is left out)."""
    query = select(pauses.c.paused_at, pauses.c.resumed_at).where(pauses.c.clock_id == clock_id).order_by(pauses.c.id)
    rows = (await uow.session.execute(query)).all()
    return [(a, b or until) for a, b in rows if b or until]


async def extra_granted(uow: UnitOfWork, clock_id: str) -> int:
    """Units added by applied extensions."""
    query = select(extensions.c.extra).where(extensions.c.clock_id == clock_id, extensions.c.applied.is_(True))
    return sum((await uow.session.execute(query)).scalars().all())


async def start_clock(uow: UnitOfWork, rules: Rules, policy: Policy, clock: ClockDef, complaint, *,
                      started_at: datetime, generation: int = 0, caused_by: Envelope | None = None) -> None:
    """Insert a running clock and announce it."""
    clock = clock.for_business_line(complaint.business_line)
    allowed = allowed_amount(clock, complaint.complexity)
    deadline = compute_deadline(clock, rules.calendars[policy.calendar], started_at, allowed=allowed)
    clock_id = str(uuid.uuid4())
    await rollup.insert_clock(uow, dict(
        id=clock_id, complaint_id=complaint.complaint_id, policy=policy.id, policy_version=policy.version,
        clock_name=clock.name, generation=generation, state="running", started_at=started_at,
        informational=clock.informational, allowed=allowed, warned_level=0,
        channel=complaint.channel, branch_code=complaint.branch_code, business_line=complaint.business_line,
        **_schedule(policy, clock, started_at, deadline, done=0),
    ))
    await uow.publish(_started(complaint.complaint_id, clock_id, policy.id, clock.name, started_at, deadline),
                      caused_by=caused_by)


def _schedule(policy: Policy, clock: ClockDef, started_at: datetime, deadline: Deadline, done: int) -> dict:
    # Informational clocks (the petitioner's own windows) are shown, never alerted on.
    check = None if clock.informational else next_check(policy, started_at, deadline.due_at, done)
    return dict(due_at=deadline.due_at, due_date=deadline.due_date, legal_latest_date=deadline.legal_latest_date,
                provisional=deadline.provisional, next_check_at=check)


def _started(complaint_id: str, clock_id: str, policy: str, name: str, started_at: datetime,
             deadline: Deadline) -> SlaClockStarted:
    return SlaClockStarted(complaint_id=complaint_id, clock_id=clock_id, policy=policy, clock_name=name,
                           started_at=started_at, due_at=deadline.due_at, due_date=deadline.due_date,
                           provisional=deadline.provisional)


async def deadline_of(uow: UnitOfWork, rules: Rules, row, *, complexity: str | None = None,
                      allowed: int | None = None, until: datetime | None = None) -> Deadline:
    """Recompute a row's deadline from its start, allowance and pauses."""
    clock = rules.clock_def(row)
    if allowed is None:
        allowed = allowed_amount(clock, complexity, await extra_granted(uow, row.id))
    cal = rules.calendars[rules.policy_of(row).calendar]
    return compute_deadline(clock, cal, row.started_at, allowed=allowed, pauses=await closed_pauses(uow, row.id, until))


async def reschedule(uow: UnitOfWork, rules: Rules, row, deadline: Deadline, *, caused_by: Envelope | None,
                     **values) -> None:
    """Store a new deadline; re-announce the clock when its due instant moved."""
    policy, clock = rules.policy_of(row), rules.clock_def(row)
    schedule = _schedule(policy, clock, row.started_at, deadline, done=row.warned_level)
    if values.get("state", row.state) == "paused":
        schedule["next_check_at"] = None
    await rollup.update_clock(uow, row.id, allowed=deadline.allowed, **schedule, **values)
    if deadline.due_at != row.due_at:
        # Consumers (intake's view) keep the latest SlaClockStarted of a clock_id as its deadline.
        await uow.publish(_started(row.complaint_id, row.id, row.policy, row.clock_name, row.started_at, deadline),
                          caused_by=caused_by)


async def pause(uow: UnitOfWork, row, status: str, at: datetime) -> None:
    """Stop the clock running until the case leaves ``status``."""
    await uow.session.execute(insert(pauses).values(clock_id=row.id, status=status, paused_at=at))
    await rollup.update_clock(uow, row.id, state="paused", paused_at=at, next_check_at=None)


async def resume(uow: UnitOfWork, rules: Rules, row, at: datetime, *, complexity: str | None,
                 caused_by: Envelope | None) -> None:
    """Close the open pause and move the deadline out by the excluded time."""
    await uow.session.execute(update(pauses).where(pauses.c.clock_id == row.id, pauses.c.resumed_at.is_(None))
                              .values(resumed_at=max(at, row.paused_at)))
    deadline = await deadline_of(uow, rules, row, complexity=complexity)
    state = "breached" if row.breached_at else "running"
    await reschedule(uow, rules, row, deadline, caused_by=caused_by, state=state, paused_at=None)


async def stop(uow: UnitOfWork, rules: Rules, row, at: datetime, reason: str, *, complexity: str | None,
               caused_by: Envelope | None, state: str = "stopped") -> None:
    """End a clock: met when it stops by its (pause-adjusted) due instant, else missed."""
    if row.state == "paused":
        await uow.session.execute(update(pauses).where(pauses.c.clock_id == row.id, pauses.c.resumed_at.is_(None))
                                  .values(resumed_at=max(at, row.paused_at)))
        deadline = await deadline_of(uow, rules, row, complexity=complexity)
        due_at = deadline.due_at
    else:
        due_at = row.due_at
    outcome = "met" if at <= due_at else "missed"
    await rollup.update_clock(
        uow, row.id, state=state, outcome=outcome if state == "stopped" else None, stopped_at=at,
        stop_reason=reason[:60], next_check_at=None, paused_at=None, due_at=due_at,
    )
    await uow.publish(SlaClockStopped(
        complaint_id=row.complaint_id, clock_id=row.id, policy=row.policy, clock_name=row.clock_name,
        outcome=outcome, stopped_at=at, reason=reason,
    ), caused_by=caused_by)


async def open_clocks(uow: UnitOfWork, complaint_id: str) -> list:
    """A complaint's clocks that are still running, paused or breached."""
    query = select(clocks).where(clocks.c.complaint_id == complaint_id, clocks.c.state.in_(OPEN_STATES))
    return await rollup.read_clocks(uow, query.order_by(clocks.c.started_at))


async def latest_generations(uow: UnitOfWork, complaint_id: str) -> dict[tuple[str, str], object]:
    """The newest row of each (policy, clock name) of a complaint."""
    query = select(clocks).where(clocks.c.complaint_id == complaint_id).order_by(clocks.c.generation)
    return {(r.policy, r.clock_name): r for r in await rollup.read_clocks(uow, query)}
