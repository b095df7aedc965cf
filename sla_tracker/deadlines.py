"""Deadline arithmetic (pure). This first version: calendar days, Chinese counting rules.

Civil Code art. 201: the day of receipt is not counted; a period "within N days" ends at the
end (24:00) of its last day, in the jurisdiction's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

POLICY = "cn-nfra-2020"
CLOCK = "decision"
DECISION_DAYS = 15


@dataclass(frozen=True)
class Deadline:
    """When a clock falls due: the instant (UTC) and the local calendar date."""

    due_at: datetime
    due_date: date


def calendar_deadline(received_at: datetime, days: int, tz: str) -> Deadline:
    """The end of the Nth calendar day after the day of receipt, local time."""
    zone = ZoneInfo(tz)
    due_date = received_at.astimezone(zone).date() + timedelta(days=days)
    end_of_day = datetime.combine(due_date + timedelta(days=1), time.min, tzinfo=zone)
    return Deadline(due_at=end_of_day.astimezone(ZoneInfo("UTC")), due_date=due_date)


def threshold_instant(started_at: datetime, due_at: datetime, percent: int) -> datetime:
    """The instant at which the given share of the allowed time is used."""
    return started_at + (due_at - started_at) * percent / 100


def next_level(levels: list[int], warned: int) -> int | None:
    """The next warning level above the last one issued (100 means breach)."""
    return next((level for level in sorted(levels) + [100] if level > warned), None)
