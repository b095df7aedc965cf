"""How a clock explains itself: the day-by-day count, pauses and extensions; and previews (pure)."""

from __future__ import annotations

from datetime import datetime

from sla_tracker.calendar import BusinessCalendar
from sla_tracker.deadlines import Deadline, allowed_amount, compute_deadline
from sla_tracker.policies import ClockDef, Policy, PolicyBook


def summary(clock: ClockDef, deadline: Deadline, cal: BusinessCalendar) -> str:
    """One sentence saying how the due date was reached."""
    if clock.unit == "hours":
        return f"{deadline.allowed} hours from the start instant, plus paused time"
    unit = {"working_days": "working days", "weeks": "weeks", "calendar_days": "calendar days"}[clock.unit]
    skipped = [n for n in deadline.days if n.counted is None]
    reasons = sorted({"paused" if n.paused else n.kind for n in skipped})
    text = (f"{deadline.allowed} {unit} on calendar {cal.id}, the start day not counted; "
            f"last counted day {deadline.due_date}, due at 24:00 {cal.timezone}")
    if skipped:
        text += f"; {len(skipped)} day(s) not counted ({', '.join(reasons)})"
    if deadline.legal_latest_date and deadline.legal_latest_date != deadline.due_date:
        text += f"; a rest-day last day rolls to {deadline.legal_latest_date} (Civil Code art. 203)"
    if deadline.provisional:
        text += "; PROVISIONAL: counts into a year without a confirmed official calendar"
    return text


def days(deadline: Deadline) -> list[dict]:
    """The timeline's days: each with its kind, name, ordinal if counted, and pause flag."""
    return [{"date": n.day, "kind": n.kind, "name": n.name, "counted": n.counted, "paused": n.paused}
            for n in deadline.days]


def preview(book: PolicyBook, calendars: dict[str, BusinessCalendar], policy_id: str, received_at: datetime,
            complexity: str = "simple", business_line: str | None = None) -> dict:
    """The clocks a policy would start for a complaint received at ``received_at``."""
    policy = book.get(policy_id, on=received_at.date())
    cal = calendars[policy.calendar]
    return {
        "policy": policy.id,
        "policy_version": policy.version,
        "received_at": received_at,
        "calendar": cal.id,
        "timezone": cal.timezone,
        "clocks": [_preview_clock(policy, c, cal, received_at, complexity, business_line) for c in policy.clocks
                   if c.start_on == "received" and (c.applies_to == "all" or complexity == "complex")],
    }


def _preview_clock(policy: Policy, clock: ClockDef, cal: BusinessCalendar, received_at: datetime,
                   complexity: str, business_line: str | None) -> dict:
    clock = clock.for_business_line(business_line)
    deadline = compute_deadline(clock, cal, received_at, allowed=allowed_amount(clock, complexity))
    return {
        "name": clock.name,
        "due_at": deadline.due_at,
        "due_date": deadline.due_date,
        "legal_latest_date": deadline.legal_latest_date,
        "day_type": clock.day_type,
        "amount": deadline.allowed,
        "provisional": deadline.provisional,
        "citation": clock.citation,
        "explanation": summary(clock, deadline, cal),
    }
