"""Business calendars (pure): weekends, holidays and make-up workdays per jurisdiction.

Backed by versioned data files under ``sla_tracker/data/calendars/`` (seeded from the
``holidays`` package, see ``seed.py``) plus imported overrides. No third-party library is
consulted at run time: a legal deadline must come from data we can show and correct.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from typing import Literal

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday"]
OverrideKind = Literal["holiday", "makeup_workday", "closure", "workday"]


@dataclass(frozen=True)
class CalendarDay:
    """One dated entry of a calendar: a holiday, a make-up workday or an ad-hoc closure."""

    day: date
    kind: OverrideKind
    name: str = ""


@dataclass(frozen=True)
class BusinessCalendar:
    """Which local dates are working days in one jurisdiction (and optional region)."""

    id: str
    timezone: str
    version: str
    weekend: frozenset[int] = frozenset({5, 6})
    entries: dict[date, CalendarDay] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()
    sources: dict[int, str] = field(default_factory=dict)

    def kind(self, day: date) -> DayKind:
        """What the day is: an entry's kind wins over the weekday rule."""
        entry = self.entries.get(day)
        if entry is not None:
            if entry.kind in ("holiday", "closure"):
                return "holiday"
            return "makeup_workday" if day.weekday() in self.weekend else "workday"
        return "weekend" if day.weekday() in self.weekend else "workday"

    def is_working_day(self, day: date) -> bool:
        """True when the day counts as a working day (make-up Saturdays and Sundays do)."""
        return self.kind(day) in ("workday", "makeup_workday")

    def name(self, day: date) -> str:
        """The holiday or make-up day's name, empty for ordinary days."""
        entry = self.entries.get(day)
        return entry.name if entry else ""

    def is_confirmed(self, day: date) -> bool:
        """True when the day's year has an official, loaded schedule."""
        return day.year in self.confirmed_years

    def with_overrides(self, days: list[CalendarDay], *, confirm: list[int] = (),
                       sources: dict[int, str] | None = None, version: str | None = None) -> BusinessCalendar:
        """A copy with extra entries (later ones win) and more confirmed years."""
        # A confirmed import replaces the whole year: drop the old (possibly guessed) entries.
        entries = {d: e for d, e in self.entries.items() if d.year not in set(confirm)}
        entries.update({entry.day: entry for entry in days})
        return replace(
            self, entries=entries, confirmed_years=self.confirmed_years | set(confirm),
            sources={**self.sources, **(sources or {})}, version=version or self.version,
        )


def parse_calendar(data: dict) -> BusinessCalendar:
    """Build a calendar from its JSON form (the data files and `kesu calendar import`)."""
    years = data.get("years", {})
    return BusinessCalendar(
        id=data["calendar"],
        timezone=data["timezone"],
        version=data["version"],
        weekend=frozenset(data.get("weekend", [5, 6])),
        entries={e.day: e for e in parse_days(data.get("days", []))},
        confirmed_years=frozenset(int(y) for y, info in years.items() if info.get("status") == "confirmed"),
        sources={int(y): info.get("source_url") or "" for y, info in years.items()},
    )


def parse_days(rows: list[dict]) -> list[CalendarDay]:
    """Dated entries from their JSON form; unknown kinds are rejected."""
    days = []
    for row in rows:
        if row["kind"] not in ("holiday", "makeup_workday", "closure", "workday"):
            raise ValueError(f"{row['date']}: unknown kind {row['kind']!r}")
        days.append(CalendarDay(day=date.fromisoformat(row["date"]), kind=row["kind"], name=row.get("name", "")))
    return days


def packaged_calendars() -> dict[str, BusinessCalendar]:
    """Every calendar shipped in ``sla_tracker/data/calendars``, by id."""
    folder = resources.files("sla_tracker") / "data" / "calendars"
    calendars = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            calendar = parse_calendar(json.loads(item.read_text(encoding="utf-8")))
            calendars[calendar.id] = calendar
    return calendars
