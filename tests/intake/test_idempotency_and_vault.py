"""Idempotent replay, the PII vault, complainant resolution and clean events, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64

from pydantic import SecretStr
from sqlalchemy import func, select

from intake import models, piistore
from intake.cli import rotate
from intake.main import vault_from
from tests.intake.conftest import Intake
from tests.intake.test_api_contract import BODY, ID, auth

RAW = [ID, "13812345678", "138 1234 5678", "张三", "zhang.san@example.com", "北京市朝阳区建国路88号", "C000123456"]
PERSON = {"name": "张三", "id_type": "resident_id", "id_number": ID, "phone": "13812345678",
          "email": "zhang.san@example.com", "address": "北京市朝阳区建国路88号", "customer_id": "C000123456"}
TEXT = "本人张三，身份证11010519491231002X，手机13812345678，邮箱zhang.san@example.com，卡号6222 0212 3456 7890 123，年费被乱收。"


async def count(intake: Intake) -> int:
    async with intake.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(models.complaints))


async def test_same_key_and_body_replays_the_first_answer_with_200(intake_on: Intake):
    headers = {**auth(await intake_on.key()), "Idempotency-Key": "retry-1"}
    first = await intake_on.client.post("/v1/complaints", json=BODY, headers=headers)
    again = await intake_on.client.post("/v1/complaints", json=dict(reversed(BODY.items())), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await count(intake_on) == 1


async def test_same_key_with_another_body_is_409(intake_on: Intake):
    headers = {**auth(await intake_on.key()), "Idempotency-Key": "retry-2"}
    await intake_on.client.post("/v1/complaints", json=BODY, headers=headers)
    response = await intake_on.client.post("/v1/complaints", json={**BODY, "content": "另一件事"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_concurrent_identical_requests_create_exactly_one_complaint(intake_on: Intake):
    headers = {**auth(await intake_on.key()), "Idempotency-Key": "burst-1"}
    responses = await asyncio.gather(*(intake_on.client.post("/v1/complaints", json=BODY, headers=headers)
                                       for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 11 + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["complaint_id"] for r in responses}) == 1
    assert await count(intake_on) == 1


async def test_a_batch_retried_with_its_key_replays_each_item(intake_on: Intake):
    headers = {**auth(await intake_on.key()), "Idempotency-Key": "batch-1"}
    items = [BODY, {**BODY, "content": ""}, {**BODY, "external_ref": "APP-7"}]
    first = (await intake_on.client.post("/v1/complaints:batch", json={"items": items}, headers=headers)).json()
    again = (await intake_on.client.post("/v1/complaints:batch", json={"items": items}, headers=headers)).json()
    assert [r["status"] for r in first["results"]] == [201, 422, 201]
    assert [r["status"] for r in again["results"]] == [200, 422, 200]
    assert await count(intake_on) == 2


async def test_encrypted_columns_hold_no_plaintext(intake_on: Intake):
    body = {**BODY, "complainant": PERSON, "content": TEXT, "agent": {"name": "李四", "phone": "13900001111"}}
    created = (await intake_on.client.post("/v1/complaints", json=body, headers=auth(await intake_on.key()))).json()
    [row] = await intake_on.rows(models.pii)
    stored = b"".join(v for k, v in row._mapping.items() if isinstance(v, bytes))
    for value in RAW + ["李四", "13900001111"]:
        assert value.encode() not in stored and base64.b64encode(value.encode()) not in stored
    dump = repr(await intake_on.rows(models.complaints)) + repr(await intake_on.rows(models.identifiers))
    assert not [value for value in RAW if value in dump]
    assert row.key_id == "dev" and row.complaint_id == created["complaint_id"]


async def test_the_same_person_via_three_channels_gets_one_complainant_ref(intake_on: Intake):
    key = auth(await intake_on.key("mobile_app", "call_center", "branch_counter"))
    by_id = {"name": "张三", "id_type": "resident_id", "id_number": ID, "phone": "13812345678"}
    by_phone = {"phone": "+86 138-1234-5678", "customer_id": "C000123456"}
    by_customer = {"customer_id": "C000123456"}
    refs = []
    for channel, person, text in [("mobile_app", by_id, "信用卡年费"), ("call_center", by_phone, "房贷利率"),
                                  ("branch_counter", by_customer, "理财亏损")]:
        body = {"channel": channel, "complainant": person, "content": f"关于{text}的投诉"}
        refs.append((await intake_on.client.post("/v1/complaints", json=body, headers=key)).json()["complainant_ref"])
    other = {"channel": "mobile_app", "complainant": {"phone": "13900001111"}, "content": "另一个人"}
    stranger = (await intake_on.client.post("/v1/complaints", json=other, headers=key)).json()["complainant_ref"]
    assert len(set(refs)) == 1 and refs[0].startswith("cr_")
    assert stranger not in refs


async def test_published_events_carry_no_raw_identifier(intake_on: Intake):
    body = {**BODY, "complainant": PERSON, "subject": "张三的年费问题", "content": TEXT}
    await intake_on.client.post("/v1/complaints", json=body, headers=auth(await intake_on.key()))
    await intake_on.client.post("/v1/complaints", json={**body, "channel": "mobile_app"},
                                headers=auth(await intake_on.key()))
    envelopes = await intake_on.published()
    assert {e.type for e in envelopes} == {"kesu.complaint.received.v1", "kesu.complaint.duplicate_linked.v1"}
    scanned = "".join(e.data.decode() + e.model_dump_json() for e in envelopes)
    leaked = [v for v in RAW + ["6222 0212 3456 7890 123"] if v in scanned or v in scanned.encode().decode("unicode_escape")]
    assert not leaked
    assert "[ID_NUMBER]" in scanned and "[NAME]" in scanned


async def test_rotate_key_reseals_every_row_under_the_new_key(intake_on: Intake):
    key = auth(await intake_on.key())
    ids = [(await intake_on.client.post("/v1/complaints", json={**BODY, "external_ref": f"R{n}"}, headers=key)
            ).json()["complaint_id"] for n in range(3)]
    new = base64.b64encode(b"n" * 32).decode()
    settings = intake_on.settings.model_copy(update={
        "vault_keys": {**intake_on.settings.vault_keys, "2027a": SecretStr(new)}, "vault_active_key": "2027a"})
    assert await rotate(settings, batch=2) == 3
    assert {r.key_id for r in await intake_on.rows(models.pii)} == {"2027a"}
    async with intake_on.service.unit_of_work() as uow:
        assert (await piistore.masked(uow, vault_from(settings), ids[0]))["phone"] == "138****5678"


async def test_reveal_needs_the_scope_and_is_audited(intake: Intake):
    created = (await intake.client.post("/v1/complaints", json=BODY, headers=auth(await intake.key()))).json()
    url = f"/v1/complaints/{created['complaint_id']}/pii:reveal"
    request = {"actor": "officer.wang", "reason": "回电客户核实身份"}
    assert (await intake.client.post(url, json=request, headers=auth(await intake.key()))).status_code == 403
    staff = auth(await intake.key("mobile_app", scopes=["pii:reveal"]))
    revealed = (await intake.client.post(url, json=request, headers=staff)).json()["pii"]
    assert revealed["id_number"] == ID and revealed["phone"] == "13812345678"
    [audit] = await intake.rows(models.pii_reveals)
    assert (audit.actor, audit.complaint_id) == ("officer.wang", created["complaint_id"])
