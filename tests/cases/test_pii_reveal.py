"""Staff reveal of a complainant's personal data: from a real intake under uvicorn, with a reason, audited."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from intake import models as intake_models
from services.cases.models import audit_log
from tests.cases.driver import cases_env
from tests.intake_served import served_intake
from tests.support import free_port

COMPLAINANT = {"name": "王小明", "id_type": "resident_id", "id_number": "11010519491231002X",
               "phone": "13912345678", "email": "wang.xm@example.com"}
REASON = "回访客户核实交易情况"


@pytest.fixture
async def setup(database_url, tmp_path):
    """Intake under uvicorn and the cases service configured to reveal through it."""
    async with served_intake(tmp_path) as intake:
        async with cases_env(database_url, tmp_path, intake_url=intake.base_url,
                             intake_api_key=intake.reveal_key) as env:
            yield env, intake


async def _complaint_with_case(env, intake, *, assign: bool = True) -> str:
    """A complaint accepted by intake with personal data, and its case (assigned to han.bj, team bj-cards)."""
    async with httpx.AsyncClient(base_url=intake.base_url) as client:
        created = await client.post("/v1/complaints", headers={"Authorization": f"Bearer {intake.channel_key}"},
                                    json={"channel": "mobile_app", "content": "信用卡被盗刷两笔，要求追回。",
                                          "complainant": COMPLAINANT})
    assert created.status_code == 201, created.text
    case_id = await env.receive(complaint_id=created.json()["complaint_id"])
    if assign:
        response = await env.post(f"/v1/cases/{case_id}:assign", "lead.bj",
                                  {"assignee": "han.bj", "team": "bj-cards"})
        assert response.status_code == 200, response.text
    return case_id


async def _intake_reveals(intake) -> list[tuple[str, str]]:
    async with intake.engine.connect() as conn:
        rows = (await conn.execute(select(intake_models.pii_reveals.c.actor, intake_models.pii_reveals.c.reason))).all()
    return [tuple(row) for row in rows]


async def _reveal_audits(env, case_id: str) -> list:
    async with env.context.service.engine.connect() as conn:
        query = select(audit_log).where(audit_log.c.action == "pii.reveal", audit_log.c.subject_id == case_id)
        return (await conn.execute(query)).all()


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_assigned_handler_sees_clear_data_and_both_services_audit_it(setup):
    env, intake = setup
    case_id = await _complaint_with_case(env, intake)
    assert "13912345678" not in str(await env.case(case_id))  # the case itself holds no personal data

    response = await env.post(f"/v1/cases/{case_id}/pii:reveal", "han.bj", {"reason": REASON})

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    revealed = response.json()["pii"]
    assert {k: revealed[k] for k in COMPLAINANT} == COMPLAINANT
    [entry] = await _reveal_audits(env, case_id)
    assert (entry.actor, entry.reason) == ("han.bj", REASON)
    assert set(entry.details["fields"]) >= set(COMPLAINANT)
    assert await _intake_reveals(intake) == [("cases:han.bj", REASON)]
    verified = await env.get("/v1/audit:verify", "auditor")
    assert verified.json()["ok"] is True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_reveal_can_ask_for_only_some_fields(setup):
    env, intake = setup
    case_id = await _complaint_with_case(env, intake)

    response = await env.post(f"/v1/cases/{case_id}/pii:reveal", "lead.bj", {"reason": REASON, "fields": ["phone"]})

    assert response.status_code == 200, response.text
    assert response.json()["pii"] == {"phone": "13912345678"}
    [entry] = await _reveal_audits(env, case_id)
    assert entry.details == {"fields": ["phone"]}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("user", "status"), [
    ("auditor", 403),   # the role never reveals
    ("admin", 403),
    ("han.sh", 404),    # another branch: the case is not in scope
])
async def test_roles_without_the_right_or_the_scope_are_refused_and_nothing_is_read(setup, user, status):
    env, intake = setup
    case_id = await _complaint_with_case(env, intake)

    response = await env.post(f"/v1/cases/{case_id}/pii:reveal", user, {"reason": REASON})

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if status == 403:
        assert response.json()["missing_permission"] == "pii:reveal"
    assert await _reveal_audits(env, case_id) == [] and await _intake_reveals(intake) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_handler_reveals_only_for_cases_of_their_own_or_their_team(setup):
    env, intake = setup
    unassigned = await _complaint_with_case(env, intake, assign=False)
    assigned = await _complaint_with_case(env, intake)

    refused = await env.post(f"/v1/cases/{unassigned}/pii:reveal", "han.bj", {"reason": REASON})
    teammate = await env.post(f"/v1/cases/{assigned}/pii:reveal", "han.bj2", {"reason": REASON})

    assert refused.status_code == 403 and refused.json()["team"] is None
    assert teammate.status_code == 200
    assert await _intake_reveals(intake) == [("cases:han.bj2", REASON)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("body", "field"), [
    ({}, "reason"),
    ({"reason": "看看"}, "reason"),
    ({"reason": REASON, "fields": ["salary"]}, "fields.0"),
    ({"reason": REASON, "fields": []}, "fields"),
])
async def test_a_reveal_without_a_proper_reason_or_with_unknown_fields_is_422(setup, body, field):
    env, intake = setup
    case_id = await _complaint_with_case(env, intake)

    response = await env.post(f"/v1/cases/{case_id}/pii:reveal", "han.bj", body)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await _intake_reveals(intake) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_complaint_intake_does_not_know_is_404(setup):
    env, _intake = setup
    case_id = await env.receive()  # a case whose complaint id intake never issued

    response = await env.post(f"/v1/cases/{case_id}/pii:reveal", "officer", {"reason": REASON})

    assert response.status_code == 404 and "intake" in response.json()["detail"].lower()
    assert await _reveal_audits(env, case_id) == []


@pytest.mark.parametrize(("overrides", "retry_after"), [
    ({"intake_url": f"http://127.0.0.1:{free_port()}", "intake_api_key": "ik_x", "intake_timeout_s": 2.0}, "5"),
    ({}, None),  # reveal not configured
])
async def test_when_intake_cannot_be_asked_the_answer_is_503_and_nothing_is_audited(
        tmp_path, overrides, retry_after):
    async with cases_env(f"sqlite+aiosqlite:///{tmp_path / 'cases.sqlite'}", tmp_path, **overrides) as env:
        case_id = await env.receive()

        response = await env.post(f"/v1/cases/{case_id}/pii:reveal", "officer", {"reason": REASON})

        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers.get("retry-after") == retry_after
        assert await _reveal_audits(env, case_id) == []
