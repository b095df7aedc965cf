"""The case projection: built from every stream in any order, assigned by rule, with a full timeline."""

from __future__ import annotations

from datetime import timedelta

from shared.events import CaseAssigned, CaseStatusChanged, SlaClockStarted, SlaClockStopped, SlaBreached


async def test_a_received_then_classified_complaint_becomes_an_assigned_case_with_its_timeline(env):
    case_id = await env.receive(branch="BJ01", amount="680.00", complainant_ref="cr-1")
    await env.classify(case_id, business_line="credit_card")
    case = await env.case(case_id)
    assert case["status"] == "assigned"
    assert (case["team"], case["business_line"], case["org_path"]) == ("bj-cards", "credit_card", "/HO/BJ/BJ01/")
    assert case["assignee"] in {"han.bj", "han.bj2", "lead.bj"}
    assert case["mediation_offered"] is True
    assert case["amount_disputed"] == {"value": "680.00", "currency": "CNY"}
    kinds = [entry["kind"] for entry in case["timeline"]]
    assert kinds[:2] == ["kesu.complaint.received.v1", "kesu.case.mediation_offered"]
    assert kinds[2:] == ["kesu.complaint.classified.v1", "kesu.case.assigned.v1", "kesu.case.status_changed.v1"]
    assigned = await env.published(CaseAssigned)
    assert [(e.case_id, e.team, e.actor) for e in assigned] == [(case_id, "bj-cards", "system")]
    assert [(e.from_status, e.to_status) for e in await env.published(CaseStatusChanged)] == [("received", "assigned")]


async def test_a_classification_arriving_before_the_receipt_is_kept_and_applied(env):
    case_id = "11111111-2222-4333-8444-555555555555"
    await env.classify(case_id, business_line="deposit", severity="high")
    await env.receive(complaint_id=case_id, branch="SH01")
    case = await env.case(case_id)
    assert (case["business_line"], case["severity"], case["branch_code"]) == ("deposit", "high", "SH01")
    # High severity goes to the designated head-office team, whatever the branch rule says.
    assert (case["team"], case["assignee"], case["status"]) == ("ho-priority", "officer", "assigned")


async def test_sla_events_set_due_date_and_breach_and_a_stopped_clock_no_longer_counts(env):
    case_id = await env.receive()
    due = env.clock.now() + timedelta(days=15)
    started = SlaClockStarted(complaint_id=case_id, clock_id="c1", policy="cn-nfra-2020", clock_name="decision",
                              started_at=env.clock.now(), due_at=due, due_date=due.date())
    await env.deliver(started, source="kesu/sla_tracker")
    assert (await env.case(case_id))["due_at"].startswith(due.date().isoformat())
    await env.deliver(SlaBreached(complaint_id=case_id, clock_id="c1", policy="cn-nfra-2020", clock_name="decision",
                                  due_at=due, breached_at=due))
    assert (await env.case(case_id))["breached"] is True
    await env.deliver(SlaClockStopped(complaint_id=case_id, clock_id="c1", policy="cn-nfra-2020",
                                      clock_name="decision", outcome="missed", stopped_at=due))
    case = await env.case(case_id)
    assert case["due_at"] is None and case["breached"] is True
    assert [e["source"] for e in case["timeline"]][-3:] == ["kesu/sla_tracker", "kesu/test", "kesu/test"]


async def test_a_duplicate_is_linked_to_its_primary_on_both_timelines(sqlite_env):
    env = sqlite_env
    primary = await env.receive()
    duplicate = await env.receive(duplicate_of=primary)
    assert (await env.case(duplicate))["duplicate_of"] == primary
    entries = (await env.case(primary))["timeline"]
    assert {"kind": "kesu.case.duplicate_attached", "data": {"duplicate": duplicate}}.items() <= {
        k: v for e in entries if e["kind"] == "kesu.case.duplicate_attached" for k, v in e.items()}.items()


async def test_disputes_at_or_over_the_threshold_are_not_offered_mediation(sqlite_env):
    case_id = await sqlite_env.receive(amount="50000.00")
    assert (await sqlite_env.case(case_id))["mediation_offered"] is False
