"""Properties of the clock maths, over the real calendars (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from sla_tracker.counting import count_period, working_days_between
from sla_tracker.deadlines import compute_deadline
from tests.sla.helpers import book, calendars

CALENDARS = st.sampled_from(sorted(calendars()))
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 10, 31))
INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(timezone.utc))
CLOCKS = st.sampled_from([(p.id, c.name) for versions in book().policies.values() for p in versions for c in p.clocks])


@given(CALENDARS, DAYS, st.integers(min_value=0, max_value=60))
def test_adding_n_working_days_then_counting_back_gives_n(calendar_id, start, n):
    cal = calendars()[calendar_id]
    due = count_period(cal, start, n, working=True).due_date
    assert working_days_between(cal, start, due) == n
    assert n == 0 or cal.is_working_day(due)


@settings(max_examples=200)
@given(CLOCKS, INSTANTS, st.lists(st.tuples(st.integers(0, 40 * 24), st.integers(0, 10 * 24)), max_size=3))
def test_pauses_never_shorten_a_deadline(clock_ref, started_at, raw_pauses):
    policy = book().get(clock_ref[0])
    clock, cal = policy.clock(clock_ref[1]), calendars()[policy.calendar]
    pauses = [(started_at + timedelta(hours=a), started_at + timedelta(hours=a + b)) for a, b in raw_pauses]
    plain = compute_deadline(clock, cal, started_at, allowed=clock.amount)
    paused = compute_deadline(clock, cal, started_at, allowed=clock.amount, pauses=pauses)
    assert paused.due_at >= plain.due_at


@settings(max_examples=200)
@given(CLOCKS, INSTANTS, INSTANTS)
def test_deadlines_are_monotone_in_receipt_time(clock_ref, a, b):
    policy = book().get(clock_ref[0])
    clock, cal = policy.clock(clock_ref[1]), calendars()[policy.calendar]
    early, late = sorted((a, b))
    assert (compute_deadline(clock, cal, early, allowed=clock.amount).due_at
            <= compute_deadline(clock, cal, late, allowed=clock.amount).due_at)


@given(CLOCKS, INSTANTS, st.integers(min_value=1, max_value=30))
def test_more_allowed_time_never_makes_a_clock_due_earlier(clock_ref, started_at, extra):
    policy = book().get(clock_ref[0])
    clock, cal = policy.clock(clock_ref[1]), calendars()[policy.calendar]
    base = compute_deadline(clock, cal, started_at, allowed=clock.amount)
    longer = compute_deadline(clock, cal, started_at, allowed=clock.amount + extra)
    assert longer.due_at > base.due_at and base.due_at > started_at


@given(INSTANTS, st.integers(min_value=1, max_value=120))
def test_a_calendar_day_deadline_gives_at_least_n_full_days(received, days):
    decision = book().get("cn-nfra-2020").clock("decision")
    due = compute_deadline(decision, calendars()["CN"], received, allowed=days).due_at
    assert timedelta(days=days) <= due - received <= timedelta(days=days + 1)
