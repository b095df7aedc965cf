"""The whole transition table, allowed and refused, generated from the state list."""

from __future__ import annotations

import itertools

import pytest

from services.cases.transitions import Status, allowed, targets
from shared.events import CaseStatusChanged
from tests.cases.helpers import case_in, move

# The table documented in docs/cases.md, written out independently of the code.
OPEN = {"received", "assigned", "investigating", "awaiting_customer", "external_appraisal", "mediation",
        "escalated", "review_requested", "under_review", "reopened"}
DOCUMENTED = {
    ("received", "assigned"), ("reopened", "assigned"),
    ("assigned", "investigating"), ("reopened", "investigating"), ("escalated", "investigating"),
    ("investigating", "awaiting_customer"), ("investigating", "external_appraisal"), ("investigating", "mediation"),
    ("awaiting_customer", "investigating"), ("external_appraisal", "investigating"), ("mediation", "investigating"),
    ("assigned", "escalated"), ("investigating", "escalated"),
    ("investigating", "decision_issued"), ("escalated", "decision_issued"), ("under_review", "decision_issued"),
    ("decision_issued", "closed"),
    ("decision_issued", "review_requested"), ("closed", "review_requested"),
    ("review_requested", "under_review"),
    ("closed", "reopened"),
    *((state, "withdrawn") for state in OPEN),
}
PAIRS = list(itertools.product([s.value for s in Status], repeat=2))
ALLOWED = [pair for pair in PAIRS if pair in DOCUMENTED]
REFUSED_FROM = sorted({source for source, _ in PAIRS})


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_the_table_allows_exactly_the_documented_pairs(source, target):
    assert allowed(Status(source), Status(target)) == ((source, target) in DOCUMENTED)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
async def test_every_allowed_transition_works_and_emits_one_event_and_one_audit_record(sqlite_env, source, target):
    env = sqlite_env
    case_id = await case_in(env, source)
    events_before = len(await env.published(CaseStatusChanged))
    audits_before = (await env.audit(case_id)).count(("officer", "case.transition"))
    response = await move(env, case_id, target)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body.get("case") or body)["status"] == target
    changes = (await env.published(CaseStatusChanged))[events_before:]
    assert [(e.complaint_id, e.from_status, e.to_status) for e in changes] == [(case_id, source, target)]
    assert (await env.audit(case_id)).count(("officer", "case.transition")) == audits_before + 1


@pytest.mark.parametrize("source", REFUSED_FROM)
async def test_every_refused_transition_is_409_naming_the_allowed_targets(sqlite_env, source):
    env = sqlite_env
    case_id = await case_in(env, source)
    expected = [t.value for t in targets(Status(source))]
    for target in [s.value for s in Status if (source, s.value) not in DOCUMENTED]:
        response = await env.post(f"/v1/cases/{case_id}:transition", "officer", {"to": target})
        assert response.status_code == 409, (source, target, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["allowed"] == expected
    assert (await env.case(case_id))["status"] == source


async def test_assigned_and_decision_issued_are_reached_only_through_their_actions(sqlite_env):
    env = sqlite_env
    for source, target in (("received", "assigned"), ("investigating", "decision_issued")):
        case_id = await case_in(env, source)
        response = await env.post(f"/v1/cases/{case_id}:transition", "officer", {"to": target})
        assert response.status_code == 409 and ":" in response.json()["detail"]


async def test_a_review_is_refused_after_its_window_and_a_second_time(sqlite_env):
    env = sqlite_env
    late = await case_in(env, "closed")
    env.advance(days=31)
    response = await move(env, late, "review_requested")
    assert response.status_code == 409 and "window" in response.json()["detail"]
    reviewed = await case_in(env, "under_review")
    assert (await move(env, reviewed, "decision_issued")).json()["case"]["status"] == "decision_issued"
    assert (await move(env, reviewed, "review_requested")).status_code == 409


async def test_transitions_are_applied_and_refused_on_both_backends(env):
    case_id = await case_in(env, "awaiting_customer")
    assert (await move(env, case_id, "investigating")).status_code == 200
    assert (await move(env, case_id, "closed")).status_code == 409
    assert (await env.case(case_id))["status"] == "investigating"
