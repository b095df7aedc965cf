"""What the SLA tests share: the packaged calendars and policies, and instants in local time."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from sla_tracker.calendar import BusinessCalendar, packaged_calendars
from sla_tracker.policies import PolicyBook, load_book

SHANGHAI = ZoneInfo("Asia/Shanghai")


@cache
def calendars() -> dict[str, BusinessCalendar]:
    """The shipped calendars (loaded once)."""
    return packaged_calendars()


@cache
def book() -> PolicyBook:
    """The shipped policy book (loaded once)."""
    return load_book()


def cn() -> BusinessCalendar:
    """The Chinese calendar."""
    return calendars()["CN"]


def at(day: str, hour: int = 10, tz: ZoneInfo = SHANGHAI) -> datetime:
    """An aware instant on a local date."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=tz)


def also_run(rules, *policy_ids: str) -> None:
    """Make every complaint also run these policies (as an operator's selection file would)."""
    from sla_tracker.policies import PolicyBook, SelectionRule

    rules.book = PolicyBook(policies=rules.book.policies,
                            rules=rules.book.rules + (SelectionRule(when={}, policies=tuple(policy_ids)),))
