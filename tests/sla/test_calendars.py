"""The shipped calendars: China's 调休 agrees with chinesecalendar; every file matches `holidays`."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from sla_tracker import seed
from sla_tracker.calendar import CalendarDay, parse_calendar
from tests.sla.helpers import calendars, cn



def days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", sorted(cn().confirmed_years))
def test_every_confirmed_chinese_day_agrees_with_chinesecalendar(year):
    mismatches = [d for d in days_of(year) if cn().is_working_day(d) != chinese_calendar.is_workday(d)]
    assert mismatches == []


@pytest.mark.parametrize("day", ["2025-10-11", "2025-09-28", "2025-01-26", "2025-04-27", "2026-01-04",
                                 "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_make_up_weekend_days_are_working_days(day):
    assert cn().kind(date.fromisoformat(day)) == "makeup_workday"


def test_the_2026_spring_festival_and_the_eighth_national_day_are_holidays():
    assert not any(cn().is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert cn().kind(date(2026, 2, 17)) == "holiday" and cn().is_working_day(date(2026, 2, 24))
    assert cn().kind(date(2025, 10, 8)) == "holiday"


def test_a_year_without_a_published_schedule_is_not_guessed():
    assert 2027 not in cn().confirmed_years
    assert not any(day.year == 2027 for day in cn().entries)
    assert cn().kind(date(2027, 1, 1)) == "workday"  # weekdays only, and flagged provisional by counting


def test_importing_a_confirmed_year_replaces_its_entries_and_confirms_it():
    imported = cn().with_overrides(
        [CalendarDay(date(2027, 1, 1), "holiday", "元旦"), CalendarDay(date(2027, 1, 9), "makeup_workday", "调休")],
        confirm=[2027], version="gov.cn 2027")
    assert imported.is_confirmed(date(2027, 5, 1))
    assert imported.kind(date(2027, 1, 1)) == "holiday"
    assert imported.is_working_day(date(2027, 1, 9))
    assert imported.version == "gov.cn 2027"


@pytest.mark.parametrize("calendar_id", sorted(seed.SPECS))
def test_the_shipped_file_is_what_the_seed_script_makes_from_holidays(calendar_id):
    fresh = parse_calendar(seed.build(calendar_id, seed.SPECS[calendar_id]))
    shipped = calendars()[calendar_id]
    assert {d: (e.kind, e.name) for d, e in fresh.entries.items()} == {
        d: (e.kind, e.name) for d, e in shipped.entries.items()}
    assert fresh.confirmed_years == shipped.confirmed_years


def test_uk_us_and_target_holidays_are_where_expected():
    assert calendars()["GB-EAW"].kind(date(2026, 12, 28)) == "holiday"  # Boxing Day (observed)
    assert calendars()["US"].kind(date(2026, 6, 19)) == "holiday"  # Juneteenth
    assert calendars()["EU-TARGET"].kind(date(2026, 5, 1)) == "holiday"
    assert calendars()["EU-TARGET"].kind(date(2026, 12, 24)) == "workday"
