"""The first deadline rule: 15 calendar days, the day of receipt not counted, local time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sla_tracker.deadlines import calendar_deadline, next_level, threshold_instant


def test_day_of_receipt_is_not_counted_and_the_last_day_is_included():
    received = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # 17:00 in Shanghai
    deadline = calendar_deadline(received, 15, "Asia/Shanghai")
    assert deadline.due_date == date(2026, 3, 17)
    assert deadline.due_at == datetime(2026, 3, 17, 16, 0, tzinfo=timezone.utc)  # 24:00 local


def test_local_date_decides_not_utc_date():
    late_evening = datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc)  # 01:30 on 3 March in Shanghai
    assert calendar_deadline(late_evening, 15, "Asia/Shanghai").due_date == date(2026, 3, 18)


def test_thresholds_split_the_allowed_time():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    due = datetime(2026, 1, 11, tzinfo=timezone.utc)
    assert threshold_instant(start, due, 50) == datetime(2026, 1, 6, tzinfo=timezone.utc)


def test_levels_advance_to_breach_and_then_stop():
    assert next_level([50, 80], 0) == 50
    assert next_level([80, 50], 50) == 80
    assert next_level([50, 80], 80) == 100
    assert next_level([50, 80], 100) is None

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


@given(instants, instants)
def test_deadlines_are_monotone_in_receipt_time(a, b):
    early, late = sorted((a, b))
    assert calendar_deadline(early, 15, "Asia/Shanghai").due_at <= calendar_deadline(late, 15, "Asia/Shanghai").due_at


@given(instants, st.integers(min_value=1, max_value=120))
def test_a_deadline_gives_at_least_n_full_days(received, days):
    due = calendar_deadline(received, days, "Asia/Shanghai").due_at
    assert timedelta(days=days) <= due - received <= timedelta(days=days + 1)
