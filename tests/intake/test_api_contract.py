"""The public contract of POST/GET /v1/complaints: answers, and every error as problem+json naming the field."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from intake import models
from tests.intake.conftest import Intake, start_intake

PROBLEM = "application/problem+json"
ID = "11010519491231002X"  # the GB 11643 standard's own example number
BODY = {
    "channel": "mobile_app", "external_ref": "APP-1", "product_hint": "credit_card",
    "complainant": {"name": "张三", "id_type": "resident_id", "id_number": ID, "phone": "138 1234 5678"},
    "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。",
}


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].endswith(str(status))
    return body


async def test_an_accepted_complaint_gets_an_id_a_daily_reference_and_a_complainant_ref(intake: Intake):
    response = await intake.client.post("/v1/complaints", json=BODY, headers=auth(await intake.key()))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("KS-") and body["reference"].endswith("-000001")
    assert body["status"] == "received" and body["complainant_ref"].startswith("cr_")
    assert body["duplicate_of"] is None


async def test_references_are_sequential_within_a_day(intake: Intake):
    headers = auth(await intake.key())
    refs = [(await intake.client.post("/v1/complaints", json={**BODY, "complainant": None}, headers=headers)
             ).json()["reference"] for _ in range(3)]
    assert [r[-6:] for r in refs] == ["000001", "000002", "000003"]


async def test_no_key_or_an_unknown_key_is_401(intake: Intake):
    missing = assert_problem(await intake.client.post("/v1/complaints", json=BODY), 401)
    assert "Bearer" in missing["detail"]
    response = await intake.client.post("/v1/complaints", json=BODY, headers=auth("ksk_unknown"))
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_channel_the_key_was_not_issued_for_is_403_naming_channel(intake: Intake):
    response = await intake.client.post("/v1/complaints", json={**BODY, "channel": "web"},
                                        headers=auth(await intake.key("mobile_app", "wechat")))
    assert assert_problem(response, 403)["errors"][0]["field"] == "channel"


async def test_malformed_json_is_400(intake: Intake):
    response = await intake.client.post("/v1/complaints", content=b'{"channel": ', headers={
        **auth(await intake.key()), "Content-Type": "application/json"})
    assert assert_problem(response, 400)["errors"][0]["field"] == "body"


async def test_a_body_that_is_not_json_is_415(intake: Intake):
    response = await intake.client.post("/v1/complaints", content="channel=web", headers={
        **auth(await intake.key()), "Content-Type": "application/x-www-form-urlencoded"})
    assert assert_problem(response, 415)["errors"][0]["field"] == "Content-Type"


async def test_a_body_over_the_limit_is_413(intake: Intake):
    big = {**BODY, "content": "投诉" * 200_000}
    response = await intake.client.post("/v1/complaints", json=big, headers=auth(await intake.key()))
    assert assert_problem(response, 413)["errors"][0]["field"] == "body"


async def test_every_invalid_field_is_named_with_an_actionable_message(intake: Intake):
    bad = {
        "channel": "mobile_app", "content": "  ", "region_code": "991234", "unknown_field": 1,
        "complainant": {"id_type": "resident_id", "id_number": "110105194912310021", "phone": "12345",
                        "email": "not-an-email", "vulnerability": ["tired"]},
        "amount_disputed": {"value": 12.5, "currency": "rmb"},
    }
    response = await intake.client.post("/v1/complaints", json=bad, headers=auth(await intake.key()))
    errors = {e["field"]: e for e in assert_problem(response, 422)["errors"]}
    assert set(errors) >= {"content", "region_code", "unknown_field", "complainant.id_number", "complainant.phone",
                           "complainant.email", "complainant.vulnerability.0", "amount_disputed.value",
                           "amount_disputed.currency"}
    assert "GB 11643" in errors["complainant.id_number"]["message"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_nul_character_is_422_naming_the_field_not_a_database_error(intake_on: Intake):
    # PostgreSQL text cannot hold U+0000: without the check this was a 500 at INSERT.
    body = {**BODY, "content": "信用卡被盗刷\u0000两笔", "complainant": {"name": "张\u0000三"}}
    response = await intake_on.client.post("/v1/complaints", json=body, headers=auth(await intake_on.key()))
    errors = {e["field"]: e["message"] for e in assert_problem(response, 422)["errors"]}
    assert set(errors) == {"content", "complainant.name"} and "U+0000" in errors["content"]
    assert await intake_on.rows(models.complaints) == []


async def test_received_at_in_the_future_is_422(intake: Intake):
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    response = await intake.client.post("/v1/complaints", json={**BODY, "received_at": future},
                                        headers=auth(await intake.key()))
    assert assert_problem(response, 422)["errors"][0]["field"] == "received_at"


async def test_a_regulator_transfer_needs_its_transfer_details(intake: Intake):
    response = await intake.client.post("/v1/complaints", json={**BODY, "channel": "regulator_transfer"},
                                        headers=auth(await intake.key("regulator_transfer")))
    assert assert_problem(response, 422)["errors"][0]["field"] == "regulator_transfer"


async def test_requests_over_the_keys_rate_are_429_with_retry_after(sqlite_url):
    intake = await start_intake(sqlite_url, rate_limit_per_s=2, rate_limit_burst_s=1)
    try:
        headers = auth(await intake.key())
        statuses = [(await intake.client.get("/v1/complaints", headers=headers)) for _ in range(3)]
        assert [r.status_code for r in statuses[:2]] == [200, 200]
        assert_problem(statuses[2], 429)
        assert int(statuses[2].headers["retry-after"]) >= 1
        faster = auth(await intake.key(rate_limit_per_s=100))
        assert (await intake.client.get("/v1/complaints", headers=faster)).status_code == 200
    finally:
        await intake.client.aclose()
        await intake.engine.dispose()


async def test_get_shows_status_and_masked_identifiers_never_raw_pii(intake: Intake):
    headers = auth(await intake.key())
    created = (await intake.client.post("/v1/complaints", json=BODY, headers=headers)).json()
    response = await intake.client.get(f"/v1/complaints/{created['complaint_id']}", headers=headers)
    view = response.json()
    assert view["reference"] == created["reference"] and view["status"] == "received"
    assert view["complainant"] == {"id_type": "resident_id", "name": "张*", "id_number": "110105********002X",
                                   "phone": "138****5678"}
    assert ID not in response.text and "13812345678" not in response.text and "张三" not in response.text


async def test_a_key_never_sees_another_channels_complaints(intake: Intake):
    app_key, web_key = await intake.key("mobile_app"), await intake.key("web")
    created = (await intake.client.post("/v1/complaints", json=BODY, headers=auth(app_key))).json()
    assert (await intake.client.get(f"/v1/complaints/{created['complaint_id']}", headers=auth(web_key))).status_code == 404
    listed = await intake.client.get("/v1/complaints", params={"external_ref": "APP-1"}, headers=auth(web_key))
    assert listed.json()["items"] == []
    forbidden = await intake.client.get("/v1/complaints", params={"channel": "mobile_app"}, headers=auth(web_key))
    assert assert_problem(forbidden, 403)["errors"][0]["field"] == "channel"


async def test_a_channel_finds_its_complaint_by_external_ref(intake: Intake):
    headers = auth(await intake.key())
    await intake.client.post("/v1/complaints", json=BODY, headers=headers)
    await intake.client.post("/v1/complaints", json={**BODY, "external_ref": "APP-2"}, headers=headers)
    found = await intake.client.get("/v1/complaints", params={"channel": "mobile_app", "external_ref": "APP-2"},
                                    headers=headers)
    assert [item["external_ref"] for item in found.json()["items"]] == ["APP-2"]


async def test_a_batch_accepts_the_valid_items_and_reports_each_invalid_one(intake: Intake):
    items = [BODY, {**BODY, "content": ""}, {**BODY, "channel": "web"}, {**BODY, "external_ref": "APP-9"}]
    response = await intake.client.post("/v1/complaints:batch", json={"items": items}, headers=auth(await intake.key()))
    result = response.json()
    assert response.status_code == 200 and (result["accepted"], result["rejected"]) == (2, 2)
    assert [r["status"] for r in result["results"]] == [201, 422, 403, 201]
    assert result["results"][1]["errors"][0]["field"] == "content"
    assert len(await intake.rows(models.complaints)) == 2


async def test_a_batch_over_a_thousand_items_is_422(intake: Intake):
    response = await intake.client.post("/v1/complaints:batch", json={"items": [BODY] * 1001},
                                        headers=auth(await intake.key()))
    assert assert_problem(response, 422)["errors"][0]["field"] == "items"


async def test_openapi_documents_examples_in_chinese_and_english_and_the_errors(intake: Intake):
    spec = (await intake.client.get("/openapi.json")).json()
    post = spec["paths"]["/v1/complaints"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    summaries = json.dumps([e["summary"] for e in examples.values()], ensure_ascii=False)
    assert "中文" in summaries and "English" in summaries
    assert {"400", "401", "403", "409", "413", "415", "422", "429"} <= set(post["responses"])
    assert "/v1/complaints:batch" in spec["paths"]
