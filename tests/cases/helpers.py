"""Steps the cases tests share: reaching a state, issuing a decision with a valid letter."""

from __future__ import annotations

from tests.cases.driver import CasesEnv

# How a test reaches each state from a fresh (received) case, as the complaint officer.
PATHS: dict[str, list[str]] = {
    "received": [],
    "assigned": ["assigned"],
    "investigating": ["assigned", "investigating"],
    "awaiting_customer": ["assigned", "investigating", "awaiting_customer"],
    "external_appraisal": ["assigned", "investigating", "external_appraisal"],
    "mediation": ["assigned", "investigating", "mediation"],
    "escalated": ["assigned", "escalated"],
    "decision_issued": ["assigned", "investigating", "decision_issued"],
    "closed": ["assigned", "investigating", "decision_issued", "closed"],
    "review_requested": ["assigned", "investigating", "decision_issued", "review_requested"],
    "under_review": ["assigned", "investigating", "decision_issued", "review_requested", "under_review"],
    "reopened": ["assigned", "investigating", "decision_issued", "closed", "reopened"],
    "withdrawn": ["withdrawn"],
}


async def decide(env: CasesEnv, case_id: str, user: str = "officer", **overrides):
    """Draft the letter and issue it unchanged; returns the :decide response."""
    draft = await env.post(f"/v1/cases/{case_id}/letter:draft", user, {"outcome": "partially_upheld"})
    assert draft.status_code == 200, draft.text
    body = {"outcome": "partially_upheld", "root_cause": "fee_disclosure", "letter": draft.json()["letter"],
            "redress": {"type": "refund", "amount": "680.00", "currency": "CNY"}, **overrides}
    return await env.post(f"/v1/cases/{case_id}:decide", user, body)


async def move(env: CasesEnv, case_id: str, target: str, user: str = "officer"):
    """Take one step through the action that reaches ``target``; returns the response."""
    if target == "assigned":
        return await env.post(f"/v1/cases/{case_id}:assign", user, {"assignee": "han.bj", "team": "bj-cards",
                                                                    "reason": "taking it"})
    if target == "decision_issued":
        return await decide(env, case_id, user)
    return await env.post(f"/v1/cases/{case_id}:transition", user, {"to": target, "reason": "test"})


async def case_in(env: CasesEnv, state: str) -> str:
    """A new case walked to ``state``."""
    case_id = await env.receive()
    for step in PATHS[state]:
        response = await move(env, case_id, step)
        assert response.status_code == 200, (state, step, response.text)
    return case_id
