"""The reference's worked examples: Chinese counting rules on the real calendars."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sla_tracker.counting import count_period, paused_days, roll_to_working_day, working_days_between
from sla_tracker.deadlines import allowed_amount, compute_deadline, decide_extension
from tests.sla.helpers import at, book, calendars, cn

D = date.fromisoformat
LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def test_seven_working_days_from_30_september_2025_count_the_make_up_saturday():
    count = count_period(cn(), D("2025-09-30"), 7, working=True)
    assert count.due_date == D("2025-10-16")
    counted = [note.day for note in count.days if note.counted]
    assert counted == [D(d) for d in ("2025-10-09", "2025-10-10", "2025-10-11", "2025-10-13",
                                      "2025-10-14", "2025-10-15", "2025-10-16")]
    assert {n.day: n.kind for n in count.days}[D("2025-10-11")] == "makeup_workday"
    assert {n.day: n.kind for n in count.days}[D("2025-10-08")] == "holiday"


def test_seven_working_days_from_10_february_2026_skip_the_spring_festival():
    assert count_period(cn(), D("2026-02-10"), 7, working=True).due_date == D("2026-02-26")


def test_three_working_days_from_30_september_2025_end_on_the_make_up_saturday():
    assert count_period(cn(), D("2025-09-30"), 3, working=True).due_date == D("2025-10-11")


def test_fifteen_calendar_days_do_not_count_the_day_of_receipt():
    assert count_period(cn(), D("2025-09-30"), 15, working=False).due_date == D("2025-10-15")


def test_counting_the_start_day_when_a_bank_rule_says_so_ends_a_day_earlier():
    assert count_period(cn(), D("2025-09-30"), 15, working=False, count_start_day=True).due_date == D("2025-10-14")


def test_a_last_day_in_the_national_day_holiday_rolls_to_9_october():
    decision = book().get("cn-nfra-2020").clock("decision")
    deadline = compute_deadline(decision, cn(), at("2025-09-16"), allowed=15)
    assert deadline.due_date == D("2025-10-01")
    assert deadline.legal_latest_date == D("2025-10-09")
    assert deadline.due_at == datetime(2025, 10, 1, 16, 0, tzinfo=timezone.utc)  # 24:00 Shanghai


def test_a_last_day_on_a_make_up_saturday_does_not_roll():
    assert roll_to_working_day(cn(), D("2025-10-11")) == (D("2025-10-11"), False)


def test_the_receipt_day_is_the_local_date_not_the_utc_date():
    decision = book().get("cn-nfra-2020").clock("decision")
    late_evening_utc = datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc)  # 01:30 on 3 March in Shanghai
    assert compute_deadline(decision, cn(), late_evening_utc, allowed=15).due_date == D("2026-03-18")


def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(cn(), D("2025-09-30"), D("2025-10-16")) == 7


def test_uk_summary_resolution_is_three_business_days_after_the_day_of_receipt():
    uk = book().get("uk-fca-disp")
    received = at("2025-12-23", tz=LONDON)
    deadline = compute_deadline(uk.clock("summary_resolution"), calendars()["GB-EAW"], received, allowed=3)
    # 24 December counts; 25 and 26 are bank holidays; 27-28 the weekend; then 29 and 30.
    assert deadline.due_date == D("2025-12-30")
    assert deadline.legal_latest_date is None


def test_uk_final_response_is_eight_weeks_and_fifteen_business_days_for_payment_services():
    uk = book().get("uk-fca-disp").clock("final_response")
    received = at("2026-03-27", tz=LONDON)
    assert compute_deadline(uk, calendars()["GB-EAW"], received, allowed=8).due_date == D("2026-05-22")
    payments = uk.for_business_line("payment_settlement")
    assert (payments.unit, payments.amount, payments.max_amount) == ("working_days", 15, 35)
    # 3 April Good Friday and 6 April Easter Monday are not business days in England and Wales.
    assert compute_deadline(payments, calendars()["GB-EAW"], received, allowed=15).due_date == D("2026-04-21")


def test_us_and_eu_clocks_use_their_own_calendars():
    eu = book().get("eu-psd2").clock("final_response")
    # 2026-04-03 Good Friday and 04-06 Easter Monday are TARGET closing days.
    assert compute_deadline(eu, calendars()["EU-TARGET"], at("2026-03-27"), allowed=15).due_date == D("2026-04-21")
    us = book().get("us-cfpb").clock("response")
    assert compute_deadline(us, calendars()["US"], at("2026-06-01", tz=NEW_YORK), allowed=15).due_date == D("2026-06-16")


def test_a_48_hour_clock_ends_at_the_exact_instant_and_pauses_push_it_out():
    first_reply = book().get("bank-48h-7wd").clock("first_reply")
    start = at("2026-03-02", 9)
    assert compute_deadline(first_reply, cn(), start, allowed=48).due_at == start + timedelta(hours=48)
    pause = (start + timedelta(hours=1), start + timedelta(hours=4))
    assert compute_deadline(first_reply, cn(), start, allowed=48, pauses=[pause]).due_at == start + timedelta(hours=51)


def test_a_pause_excludes_the_days_after_it_began_up_to_the_day_it_ended():
    assert paused_days([(at("2026-03-05", 15), at("2026-03-08", 9))], "Asia/Shanghai") == {
        D("2026-03-06"), D("2026-03-07"), D("2026-03-08")}
    assert paused_days([(at("2026-03-05", 9), at("2026-03-05", 17))], "Asia/Shanghai") == frozenset()


def test_appraisal_time_moves_the_decision_deadline_by_the_excluded_days():
    decision = book().get("cn-nfra-2020").clock("decision")
    pause = (at("2026-03-05", 15), at("2026-03-08", 9))
    deadline = compute_deadline(decision, cn(), at("2026-03-02"), allowed=15, pauses=[pause])
    assert deadline.due_date == D("2026-03-20")
    assert [n.day for n in deadline.days if n.paused] == [D("2026-03-06"), D("2026-03-07"), D("2026-03-08")]


def test_complexity_and_extensions_set_the_allowance_within_the_maximum():
    decision = book().get("cn-nfra-2020").clock("decision")
    assert allowed_amount(decision, "simple") == 15
    assert allowed_amount(decision, "complex") == 30
    assert allowed_amount(decision, "complex", extra=45) == 60


def test_an_extension_beyond_thirty_days_needs_a_recorded_approver():
    decision = book().get("cn-nfra-2020").clock("decision")
    assert decide_extension(decision, 15, 15, None).applied  # complex: no approval formality
    refused = decide_extension(decision, 30, 30, None)
    assert not refused.applied and refused.allowed == 30 and "approver" in refused.note
    granted = decide_extension(decision, 30, 40, "head-office senior manager")
    assert granted.applied and granted.allowed == 60 and "capped" in granted.note


def test_a_clock_without_a_maximum_cannot_be_extended():
    assert not decide_extension(book().get("us-cfpb").clock("response"), 15, 10, "boss").applied


def test_a_working_day_count_into_an_unconfirmed_year_is_provisional():
    late = count_period(cn(), D("2026-12-28"), 7, working=True)
    assert late.provisional
    assert not count_period(cn(), D("2026-12-01"), 7, working=True).provisional
    assert not count_period(cn(), D("2026-12-28"), 15, working=False).provisional
