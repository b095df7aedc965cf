"""Clocks driven by events: start, complexity, pause/resume, extension, restart, stop (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from shared.events import (CaseStatusChanged, ComplaintClassified, ExtensionGranted, SlaBreached, SlaClockStarted,
                           SlaClockStopped, SlaEscalated, SlaWarningIssued)
from tests.sla.helpers import also_run, at

RECEIVED = at("2026-03-02", 10)  # Monday, 10:00 Shanghai


def classified(complaint_id: str, complexity: str = "simple", business_line: str = "credit_card") -> ComplaintClassified:
    return ComplaintClassified(complaint_id=complaint_id, business_line=business_line, cause="pricing_fees",
                               emotion="neutral", severity="low", complexity=complexity, model_version="t",
                               taxonomy_version="t")


def status(complaint_id: str, to: str, when: datetime) -> CaseStatusChanged:
    return CaseStatusChanged(complaint_id=complaint_id, to_status=to, changed_at=when)


async def test_a_received_complaint_gets_the_15_day_decision_clock_with_its_explanation(sla):
    await sla.receive("c1", RECEIVED)
    [started] = await sla.published(SlaClockStarted)
    assert (started.policy, started.clock_name, started.due_date) == ("cn-nfra-2020", "decision", date(2026, 3, 17))
    assert started.due_at == datetime(2026, 3, 17, 16, 0, tzinfo=timezone.utc)
    clock = (await sla.clocks("c1"))["decision"]
    assert clock["policy_version"] == "2020-03-01" and clock["day_type"] == "calendar_days"
    assert clock["timeline"]["days"][0]["date"] == date(2026, 3, 3)  # the day of receipt is not counted
    assert [d["counted"] for d in clock["timeline"]["days"]] == list(range(1, 16))
    assert "start day not counted" in clock["timeline"]["summary"]


async def test_a_complex_classification_gives_thirty_days_and_a_later_one_can_bring_it_back(sla):
    await sla.receive("c2", RECEIVED)
    await sla.deliver(classified("c2", "complex"))
    assert (await sla.clocks("c2"))["decision"]["due_date"] == date(2026, 4, 1)
    await sla.deliver(classified("c2", "simple"))
    assert (await sla.clocks("c2"))["decision"]["due_date"] == date(2026, 3, 17)
    assert [e.due_date for e in await sla.published(SlaClockStarted)] == [
        date(2026, 3, 17), date(2026, 4, 1), date(2026, 3, 17)]


async def test_a_classification_that_arrives_first_is_applied_when_the_receipt_arrives(sla):
    await sla.deliver(classified("c3", "complex"))
    assert await sla.published() == []
    await sla.receive("c3", RECEIVED)
    assert (await sla.clocks("c3"))["decision"]["due_date"] == date(2026, 4, 1)


async def test_appraisal_pauses_the_clock_and_resuming_moves_the_deadline(sla):
    await sla.receive("c4", RECEIVED)
    await sla.deliver(status("c4", "external_appraisal", at("2026-03-05", 15)))
    assert (await sla.clocks("c4"))["decision"]["state"] == "paused"
    await sla.deliver(status("c4", "investigating", at("2026-03-08", 9)))
    clock = (await sla.clocks("c4"))["decision"]
    assert (clock["state"], clock["due_date"]) == ("running", date(2026, 3, 20))
    assert [d["date"] for d in clock["timeline"]["days"] if d["paused"]] == [date(2026, 3, d) for d in (6, 7, 8)]
    assert clock["timeline"]["pauses"][0]["status"] == "external_appraisal"


async def test_an_extension_beyond_thirty_days_applies_only_with_an_approver(sla):
    await sla.receive("c5", RECEIVED)
    await sla.deliver(classified("c5", "complex"))
    common = dict(complaint_id="c5", policy="cn-nfra-2020", clock_name="decision", kind="further", extra_days=30,
                  reason="special reasons", requested_by="handler-1", granted_at=at("2026-03-20"))
    await sla.deliver(ExtensionGranted(**common))
    assert (await sla.clocks("c5"))["decision"]["due_date"] == date(2026, 4, 1)
    await sla.deliver(ExtensionGranted(**common, approved_by="head-office senior manager"))
    clock = (await sla.clocks("c5"))["decision"]
    assert (clock["allowed"], clock["due_date"]) == (60, date(2026, 5, 1))
    assert [(e["applied"], e["approved_by"]) for e in clock["timeline"]["extensions"]] == [
        (False, None), (True, "head-office senior manager")]


async def test_a_decision_stops_the_clock_as_met_and_a_late_one_as_missed(sla):
    await sla.receive("c6", RECEIVED)
    await sla.receive("c7", RECEIVED)
    await sla.deliver(status("c6", "decision_issued", at("2026-03-17", 23)))
    await sla.deliver(status("c7", "withdrawn", at("2026-03-18", 1)))
    outcomes = {e.complaint_id: (e.outcome, e.reason) for e in await sla.published(SlaClockStopped)}
    assert outcomes == {"c6": ("met", "decision_issued"), "c7": ("missed", "withdrawn")}


async def test_reopening_with_new_facts_restarts_the_clock_as_a_new_generation(sla):
    await sla.receive("c8", RECEIVED)
    await sla.deliver(status("c8", "reopened", at("2026-03-10", 9)))
    stopped = await sla.published(SlaClockStopped)
    assert [(e.outcome, e.reason) for e in stopped] == [("met", "restarted")]
    clock = (await sla.clocks("c8"))["decision"]
    assert (clock["generation"], clock["due_date"], clock["state"]) == (1, date(2026, 3, 25), "running")


async def test_warnings_breach_and_escalations_are_each_issued_once_at_their_level(sla):
    await sla.receive("c9", RECEIVED)
    due = datetime(2026, 3, 17, 16, 0, tzinfo=timezone.utc)
    await sla.advance_to(due + (due - RECEIVED))  # 200% of the allowed time
    await sla.advance_to(sla.clock.now() + timedelta(days=3))
    alerts = await sla.published(SlaWarningIssued, SlaBreached, SlaEscalated)
    assert [(type(e).__name__, getattr(e, "level", None) or getattr(e, "escalate_to", None)) for e in alerts] == [
        ("SlaWarningIssued", 50), ("SlaWarningIssued", 80), ("SlaEscalated", "team_lead"),
        ("SlaBreached", None), ("SlaEscalated", "branch_head"), ("SlaEscalated", "complaint_officer")]
    assert (await sla.clocks("c9"))["decision"]["state"] == "breached"


async def test_a_paused_clock_raises_no_alerts(sla):
    await sla.receive("c10", RECEIVED)
    await sla.deliver(status("c10", "mediation", at("2026-03-03", 9)))
    await sla.advance_to(at("2026-04-30"))
    assert await sla.published(SlaWarningIssued, SlaBreached) == []


async def test_selection_rules_add_the_pboc_policy_for_a_pboc_transfer(sla):
    # "PBOC" is the code intake publishes (its regulator_transfer.authority enum).
    await sla.receive("c11", RECEIVED, channel="regulator_transfer", regulator_authority="PBOC")
    assert sorted((await sla.clocks("c11"))) == ["decision", "reply"]


async def test_a_petition_transfer_runs_the_petition_clocks_on_the_case_workflow_statuses(sla):
    received = at("2026-12-07", 10)  # the petition preset's 2026-12-03 version
    await sla.receive("c13", received, channel="regulator_transfer", regulator_authority="petition_office")
    assert {"acceptance_notice", "decision"} <= set(await sla.clocks("c13"))
    await sla.deliver(status("c13", "assigned", received + timedelta(days=1)))
    await sla.deliver(status("c13", "investigating", received + timedelta(days=2)))
    clocks = await sla.clocks("c13")
    assert clocks["acceptance_notice"]["state"] == "stopped"
    assert clocks["handling"]["state"] == "running" and clocks["handling"]["due_date"] == date(2027, 2, 7)
    await sla.deliver(status("c13", "decision_issued", received + timedelta(days=20)))
    clocks = await sla.clocks("c13")
    assert clocks["handling"]["state"] == "stopped" and clocks["review_window"]["state"] == "running"


async def test_complex_only_internal_clocks_start_on_classification_and_stop_if_reclassified(sla):
    also_run(sla.rules, "bank-48h-7wd")
    await sla.receive("c12", RECEIVED)
    assert sorted(await sla.clocks("c12")) == ["decision", "first_reply"]
    await sla.deliver(classified("c12", "complex"))
    clocks = await sla.clocks("c12")
    assert clocks["initial_feedback"]["due_date"] == date(2026, 3, 11)  # 7 working days
    await sla.deliver(classified("c12", "simple"))
    assert (await sla.clocks("c12"))["initial_feedback"]["state"] == "cancelled"
