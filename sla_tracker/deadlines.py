"""When a clock falls due (pure): policy clock + calendar + start + extensions + pauses.

A period of N days ends at 24:00 local of its last day (Civil Code art. 201: the start day is
not counted; "以内" includes the last day). Hour-based clocks end at the exact instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sla_tracker.calendar import BusinessCalendar
from sla_tracker.counting import DayNote, count_period, end_of_day, local_date, paused_days, roll_to_working_day
from sla_tracker.policies import ClockDef

Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class Deadline:
    """When a clock falls due, and the day-by-day count that explains it."""

    due_at: datetime
    due_date: date
    legal_latest_date: date | None
    provisional: bool
    allowed: int
    days: tuple[DayNote, ...] = ()


@dataclass(frozen=True)
class ExtensionDecision:
    """Whether a requested extension applies, the new allowance, and why."""

    applied: bool
    allowed: int
    note: str


def compute_deadline(clock: ClockDef, cal: BusinessCalendar, started_at: datetime, *, allowed: int,
                     pauses: Sequence[Pause] = ()) -> Deadline:
    """The due instant of a clock started at ``started_at`` with ``allowed`` units."""
    if clock.unit == "hours":
        paused = sum((end - begin for begin, end in pauses), timedelta())
        due_at = (started_at + timedelta(hours=allowed) + paused).astimezone(timezone.utc)
        return Deadline(due_at, local_date(due_at, cal.timezone), None, False, allowed)
    days = allowed * 7 if clock.unit == "weeks" else allowed
    count = count_period(
        cal, local_date(started_at, cal.timezone), days, working=clock.unit == "working_days",
        excluded=paused_days(pauses, cal.timezone), count_start_day=clock.count_start_day,
    )
    legal, rolled_provisional = _legal_latest(clock, cal, count.due_date)
    return Deadline(
        due_at=end_of_day(count.due_date, cal.timezone), due_date=count.due_date, legal_latest_date=legal,
        provisional=count.provisional or rolled_provisional, allowed=allowed, days=count.days,
    )


def _legal_latest(clock: ClockDef, cal: BusinessCalendar, due: date) -> tuple[date | None, bool]:
    # Art. 203 is Chinese law: report the rolled date for Chinese calendar-day periods.
    if clock.unit == "working_days" or not (clock.report_legal_latest or cal.id == "CN"):
        return None, False
    return roll_to_working_day(cal, due)


def allowed_amount(clock: ClockDef, complexity: str | None, extra: int = 0) -> int:
    """The allowance: the simple or complex amount plus granted extensions, within the maximum."""
    total = clock.base_amount(complexity) + extra
    return min(total, clock.max_amount) if clock.max_amount is not None else total


def decide_extension(clock: ClockDef, current: int, extra: int, approved_by: str | None) -> ExtensionDecision:
    """Apply the policy's extension limits (maximum, approval above a threshold)."""
    if clock.max_amount is None or current >= clock.max_amount:
        return ExtensionDecision(False, current, f"{clock.name} cannot be extended beyond {current}")
    wanted = min(current + extra, clock.max_amount)
    needs_approval = clock.approval_required_above is not None and wanted > clock.approval_required_above
    if needs_approval and not approved_by:
        return ExtensionDecision(False, current, f"beyond {clock.approval_required_above} needs a recorded approver")
    capped = " (capped at the maximum)" if wanted < current + extra else ""
    return ExtensionDecision(True, wanted, f"extended from {current} to {wanted}{capped}")


def threshold_instant(started_at: datetime, due_at: datetime, percent: int) -> datetime:
    """The instant at which the given share of the allowed time is used (may exceed 100)."""
    return started_at + (due_at - started_at) * percent / 100


def next_level(levels: Sequence[int], done: int) -> int | None:
    """The next threshold above the last one handled, or None when all are done."""
    return next((level for level in sorted(levels) if level > done), None)
