"""Counting periods on a business calendar (pure), following the Chinese Civil Code rules.

* Art. 201: the start day is not counted; counting begins the next day.
* "以内" includes the last day: a period of N days ends at 24:00 of its Nth counted day.
* Working-day periods count only working days (make-up Saturdays and Sundays count).
* Art. 203: a last day on a rest day rolls to the next working day; we report that as the
  "legal latest date" beside the strict due date, never instead of it.
* A pause excludes the local days after the day it began, up to and including the day it
  ended: the resumption day is not counted, as a start day is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla_tracker.calendar import BusinessCalendar, DayKind

# No statutory period is anywhere near this long; a longer walk means corrupt input.
MAX_WALK_DAYS = 5 * 366


@dataclass(frozen=True)
class DayNote:
    """One day of a count, as the timeline shows it."""

    day: date
    kind: DayKind
    name: str
    counted: int | None  # the day's ordinal within the period, None when not counted
    paused: bool = False


@dataclass(frozen=True)
class Count:
    """Where a period ends and how it got there."""

    due_date: date
    days: tuple[DayNote, ...]
    provisional: bool


def count_period(cal: BusinessCalendar, start: date, n: int, *, working: bool,
                 excluded: frozenset[date] = frozenset(), count_start_day: bool = False) -> Count:
    """The Nth counted day after ``start`` (or from it, when the start day counts)."""
    day = start - timedelta(days=1) if count_start_day else start
    notes: list[DayNote] = []
    counted, provisional = 0, False
    while counted < n:
        day += timedelta(days=1)
        if len(notes) > MAX_WALK_DAYS:
            raise ValueError(f"period of {n} days from {start} does not end within {MAX_WALK_DAYS} days")
        paused = day in excluded
        counts = not paused and (not working or cal.is_working_day(day))
        provisional |= working and not paused and not cal.is_confirmed(day)
        counted += counts
        notes.append(DayNote(day, cal.kind(day), cal.name(day), counted if counts else None, paused))
    return Count(due_date=day, days=tuple(notes), provisional=provisional)


def roll_to_working_day(cal: BusinessCalendar, day: date) -> tuple[date, bool]:
    """The day itself if it is a working day, else the next one; and whether that is provisional."""
    provisional = not cal.is_confirmed(day)
    for _ in range(MAX_WALK_DAYS):
        if cal.is_working_day(day):
            return day, provisional
        day += timedelta(days=1)
        provisional |= not cal.is_confirmed(day)
    raise ValueError(f"no working day within {MAX_WALK_DAYS} days of {day}")


def working_days_between(cal: BusinessCalendar, start: date, end: date) -> int:
    """How many working days fall after ``start`` up to and including ``end``."""
    days = (start + timedelta(days=k) for k in range(1, (end - start).days + 1))
    return sum(cal.is_working_day(day) for day in days)


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date of an instant in a time zone."""
    return instant.astimezone(ZoneInfo(tz)).date()


def end_of_day(day: date, tz: str) -> datetime:
    """24:00 local of a day, as a UTC instant (the end of a period's last day)."""
    zone = ZoneInfo(tz)
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return midnight.astimezone(ZoneInfo("UTC"))


def paused_days(pauses: Iterable[tuple[datetime, datetime]], tz: str) -> frozenset[date]:
    """Local days a set of closed pauses removes from a day count."""
    days: set[date] = set()
    for began, ended in pauses:
        first, last = local_date(began, tz), local_date(ended, tz)
        days.update(first + timedelta(days=k) for k in range(1, (last - first).days + 1))
    return frozenset(days)
