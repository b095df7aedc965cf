"""The audit log's hash chain: format, serialised appends, tamper detection, API and permissions."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from services.cases import audit
from services.cases.models import audit_log
from tests.cases.staff_fixtures import staff_env


@pytest.fixture
async def env(database_url, tmp_path):
    """The staff app with an auditor, a complaint officer, an admin and a handler at head office."""
    async with staff_env(database_url, tmp_path) as env:
        for role in ("auditor", "complaint_officer", "admin", "handler"):
            await env.add_user(f"ho-{role.replace('_', '-')}", role, "HO")
        yield env


async def _record(env, n: int, *, action: str = "case.note", **kwargs) -> None:
    for i in range(n):
        async with env.service.unit_of_work() as uow:
            await audit.record(uow.session, actor="hana", action=action, subject_type="case",
                               subject_id=f"case-{i}", reason="核实", details={"i": i, "备注": "客户来电", "amount": 1.5},
                               at=env.clock.now(), **kwargs)
        env.clock.advance(timedelta(seconds=1))


async def _verify(env) -> audit.VerifyResult:
    async with env.service.unit_of_work() as uow:
        return await audit.verify(uow.session)


async def _rows(env) -> list:
    async with env.service.unit_of_work() as uow:
        return (await uow.session.execute(select(audit_log).order_by(audit_log.c.seq))).all()


async def test_chain_follows_the_documented_canonical_form(env):
    await _record(env, 3)
    rows = await _rows(env)
    assert rows[0].prev_hash == "0" * 64 and [r.seq for r in rows] == [1, 2, 3]
    for previous, row in zip([None, *rows], rows):
        assert row.prev_hash == (previous.hash if previous else "0" * 64)
        # Recomputed here independently of audit.entry_hash, from the documented recipe.
        canonical = json.dumps({
            "seq": row.seq, "at": row.at.isoformat(timespec="microseconds"), "actor": row.actor,
            "action": row.action, "subject_type": row.subject_type, "subject_id": row.subject_id,
            "reason": row.reason, "details": row.details, "prev_hash": row.prev_hash,
        }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode()).hexdigest() == row.hash
    result = await _verify(env)
    assert (result.ok, result.checked, result.last_hash) == (True, 3, rows[-1].hash)
    await _concurrent_appends_keep_one_unbroken_chain(env)


async def _concurrent_appends_keep_one_unbroken_chain(env):
    async def append(i: int) -> None:
        async with env.service.unit_of_work() as uow:
            await audit.record(uow.session, actor=f"user-{i}", action="case.transition", subject_type="case",
                               subject_id=str(i), at=env.clock.now())

    await asyncio.gather(*(append(i) for i in range(16)))
    result = await _verify(env)
    assert result.ok and result.checked == 3 + 16


async def _tamper(env, statement) -> None:
    async with env.service.unit_of_work() as uow:
        postgres = uow.session.bind.dialect.name == "postgresql"
        if postgres:
            await uow.session.execute(text("ALTER TABLE cases_audit_log DISABLE TRIGGER cases_audit_log_append_only"))
        await uow.session.execute(statement)
        if postgres:
            await uow.session.execute(text("ALTER TABLE cases_audit_log ENABLE TRIGGER cases_audit_log_append_only"))


@pytest.mark.parametrize("statement, bad_seq", [
    (update(audit_log).where(audit_log.c.seq == 2).values(details={"i": 1, "备注": "客户来电", "amount": 2.5}), 2),
    (delete(audit_log).where(audit_log.c.seq == 4), 4),
])
async def test_verification_fails_at_the_first_altered_or_missing_row(env, statement, bad_seq):
    await _record(env, 5)
    assert (await _verify(env)).ok
    await _tamper(env, statement)
    result = await _verify(env)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, bad_seq, bad_seq - 1)
    assert f"seq {bad_seq}" in result.problem


async def test_rewriting_a_row_with_a_fresh_hash_breaks_the_next_link(env):
    await _record(env, 3)
    row = (await _rows(env))[1]
    forged = {"seq": row.seq, "at": row.at, "actor": "someone-else", "action": row.action,
              "subject_type": row.subject_type, "subject_id": row.subject_id, "reason": row.reason,
              "details": row.details}
    new_hash = audit.entry_hash(**forged, prev_hash=row.prev_hash)
    await _tamper(env, update(audit_log).where(audit_log.c.seq == 2).values(actor="someone-else", hash=new_hash))
    result = await _verify(env)
    assert (result.ok, result.first_bad_seq) == (False, 3)


# The append-only trigger is PostgreSQL's; on SQLite the chain alone detects tampering.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_postgres_refuses_updates_and_deletes(env, database_url):
    await _record(env, 1)
    for statement in (update(audit_log).values(reason="x"), delete(audit_log), text("TRUNCATE cases_audit_log")):
        with pytest.raises(DBAPIError, match="append-only"):
            async with env.service.unit_of_work() as uow:
                await uow.session.execute(statement)
    assert (await _verify(env)).checked == 1


async def test_audit_api_filters_pages_and_checks_permissions(env):
    await _audit_permissions(env)
    await _record(env, 5)
    await _record(env, 2, action="pii.reveal")
    headers = env.auth("ho-auditor")
    reveals = (await env.client.get("/v1/audit", params={"action": "pii.reveal"}, headers=headers)).json()
    assert [i["action"] for i in reveals["items"]] == ["pii.reveal"] * 2 and reveals["next_before_seq"] is None
    first = (await env.client.get("/v1/audit", params={"action": "case.note", "limit": 3}, headers=headers)).json()
    assert [i["seq"] for i in first["items"]] == [5, 4, 3] and first["next_before_seq"] == 3
    rest = await env.client.get("/v1/audit", headers=headers,
                                params={"action": "case.note", "limit": 3, "before_seq": first["next_before_seq"]})
    assert [i["seq"] for i in rest.json()["items"]] == [2, 1]
    start = (await _rows(env))[1].at
    window = await env.client.get("/v1/audit", headers=headers, params={
        "since": start.isoformat(), "until": (start + timedelta(seconds=2)).isoformat(), "actor": "hana"})
    assert [i["seq"] for i in window.json()["items"]] == [3, 2]
    by_subject = await env.client.get("/v1/audit", params={"subject_type": "case", "subject_id": "case-1"},
                                      headers=headers)
    assert [i["seq"] for i in by_subject.json()["items"]] == [7, 2]
    naive = await env.client.get("/v1/audit", params={"since": "2026-11-23T10:00:00"}, headers=headers)
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"


async def _audit_permissions(env):
    # username: (may read, may verify)
    expected = {"ho-auditor": (True, True), "ho-admin": (True, True),
                "ho-complaint-officer": (True, False), "ho-handler": (False, False)}
    for username, (can_read, can_verify) in expected.items():
        headers = env.auth(username)
        read = await env.client.get("/v1/audit", headers=headers)
        verify = await env.client.get("/v1/audit:verify", headers=headers)
        assert (read.status_code, verify.status_code) == (200 if can_read else 403, 200 if can_verify else 403)
        if not can_verify:
            assert verify.json()["missing_permission"] == "audit:verify"


async def test_verify_endpoint_reports_the_first_altered_seq(env):
    await _record(env, 3)
    headers = env.auth("ho-auditor")
    assert (await env.client.get("/v1/audit:verify", headers=headers)).json()["ok"] is True
    await _tamper(env, update(audit_log).where(audit_log.c.seq == 2).values(reason="已核实"))
    body = (await env.client.get("/v1/audit:verify", headers=headers)).json()
    assert (body["ok"], body["first_bad_seq"], body["checked"]) == (False, 2, 1)
    assert "altered" in body["problem"]


async def test_an_anchor_kept_outside_detects_truncation_and_a_rebuilt_chain(env):
    await _record(env, 5)
    intact = await _verify(env)
    anchor = (5, intact.last_hash)
    await _tamper(env, delete(audit_log).where(audit_log.c.seq >= 4))
    assert (await _verify(env)).ok  # a shorter chain is still a valid chain: the anchor is what shows it
    async with env.service.unit_of_work() as uow:
        truncated = await audit.verify(uow.session, anchor)
    assert (truncated.ok, truncated.first_bad_seq) == (False, 4) and "removed from the end" in truncated.problem
    await _record(env, 2)  # seq 4 and 5 appended again: a valid chain, but not the one anchored
    headers = env.auth("ho-auditor")
    rebuilt = (await env.client.get("/v1/audit:verify", params={"anchor": f"5:{anchor[1]}"}, headers=headers)).json()
    assert (rebuilt["ok"], rebuilt["first_bad_seq"]) == (False, 5) and "rebuilt" in rebuilt["problem"]
    current = (await env.client.get("/v1/audit:verify", headers=headers)).json()
    assert current["ok"] and current["head"] == f"5:{current['last_hash']}"
    malformed = await env.client.get("/v1/audit:verify", params={"anchor": "5:xyz"}, headers=headers)
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "anchor"
