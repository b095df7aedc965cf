"""Org-scoped visibility, each role's permissions (403 problem+json) and handler ownership."""

from __future__ import annotations

import pytest

from tests.cases.helpers import case_in, move
from tests.cases.staff_fixtures import make_user


async def _bj_and_sh_cases(env) -> tuple[str, str]:
    bj = await env.receive(branch="BJ01", content="北京信用卡盗刷")
    sh = await env.receive(branch="SH01", content="上海存款利息计算错误")
    return bj, sh


async def test_users_see_only_cases_of_their_org_subtree(env):
    bj, sh = await _bj_and_sh_cases(env)
    listed = {user: {c["case_id"] for c in (await env.get("/v1/cases", user)).json()["items"]}
              for user in ("han.bj", "lead.bj", "han.sh", "officer", "auditor")}
    assert listed["han.bj"] == listed["lead.bj"] == {bj}
    assert listed["han.sh"] == {sh}
    assert listed["officer"] == listed["auditor"] == {bj, sh}
    hidden = await env.get(f"/v1/cases/{sh}", "lead.bj")
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("application/problem+json")
    assert (await env.get(f"/v1/cases/{sh}", "auditor")).status_code == 200


@pytest.mark.parametrize(("user", "method", "path", "permission"), [
    ("admin", "GET", "/v1/cases", "cases:read"),
    ("auditor", "POST", ":transition", "cases:work"),
    ("auditor", "POST", ":decide", "cases:decide"),
    ("auditor", "POST", "/notes", "cases:work"),
    ("han.bj", "POST", ":assign", "cases:assign"),
    ("lead.bj", "POST", "/extensions/x:approve", "cases:approve_extension"),
    ("admin", "POST", ":reclassify", "cases:reclassify"),
    ("auditor", "POST", ":extend", "cases:extend"),
    ("admin", "POST", "/letter:draft", "cases:decide"),
    ("auditor", "POST", "/survey", "cases:work"),
    ("auditor", "POST", "/attachments", "cases:work"),
])
async def test_each_role_is_refused_what_its_role_does_not_grant(sqlite_env, user, method, path, permission):
    env = sqlite_env
    case_id = await env.receive()
    url = path if path.startswith("/v1") else f"/v1/cases/{case_id}{path}"
    response = await env.client.request(method, url, json={}, headers=env.auth(user))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["missing_permission"] == permission


async def test_no_token_is_401(sqlite_env):
    response = await sqlite_env.client.get("/v1/cases")
    assert response.status_code == 401


async def test_handlers_act_only_on_cases_of_their_own_or_their_team(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "assigned")  # assigned to han.bj, team bj-cards
    assert (await env.post(f"/v1/cases/{case_id}:transition", "han.bj2", {"to": "investigating"})).status_code == 200
    await env.post(f"/v1/cases/{case_id}:assign", "lead.bj", {"assignee": "lead.bj", "team": "bj-leads",
                                                               "reason": "taking it over"})
    refused = await env.post(f"/v1/cases/{case_id}/notes", "han.bj", {"body": "x"})
    assert refused.status_code == 403 and refused.json()["assignee"] == "lead.bj"
    assert (await env.post(f"/v1/cases/{case_id}/notes", "lead.bj", {"body": "mine now"})).status_code == 201


async def test_a_transfer_needs_a_reason_and_is_audited(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "assigned")
    missing = await env.post(f"/v1/cases/{case_id}:assign", "lead.bj", {"assignee": "han.bj2"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    moved = await env.post(f"/v1/cases/{case_id}:assign", "lead.bj", {"assignee": "han.bj2", "reason": "leave"})
    assert moved.json()["assignee"] == "han.bj2"
    assert ("lead.bj", "case.assign") in await env.audit(case_id)


async def test_only_complaint_officers_work_escalated_cases(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "escalated")
    refused = await move(env, case_id, "investigating", user="lead.bj")
    assert refused.status_code == 403 and refused.json()["missing_permission"] == "cases:escalate_receive"
    assert (await move(env, case_id, "investigating", user="officer")).status_code == 200


async def test_a_branch_auditor_reads_only_audit_entries_of_their_subtree(env):
    async with env.context.unit_of_work() as uow:
        env.principals["auditor.bj"] = await make_user(uow.session, "auditor.bj", "auditor", "BJ", now=env.clock.now())
    bj, sh = await _bj_and_sh_cases(env)
    for case_id in (bj, sh):
        assert (await move(env, case_id, "assigned")).status_code == 200

    def subjects(response) -> set[tuple[str, str]]:
        assert response.status_code == 200, response.text
        return {(i["subject_type"], i["subject_id"]) for i in response.json()["items"]}

    branch = subjects(await env.get("/v1/audit", "auditor.bj", limit=500))
    head_office = subjects(await env.get("/v1/audit", "officer", limit=500))
    assert ("case", bj) in branch and ("case", sh) not in branch
    assert {("case", bj), ("case", sh)} <= head_office
