"""Idempotency records expire after their retention period, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from intake import housekeeping, models
from tests.intake.conftest import Intake
from tests.intake.test_api_contract import BODY, auth


async def _post(intake: Intake, key: str, headers: dict, content: str) -> int:
    response = await intake.client.post("/v1/complaints", json={**BODY, "content": content},
                                        headers={**headers, "Idempotency-Key": key})
    return response.status_code


async def _age(intake: Intake, key: str, hours: int) -> None:
    async with intake.engine.begin() as conn:
        table = models.idempotency
        aged = intake.service.clock.now() - timedelta(hours=hours)
        await conn.execute(update(table).where(table.c.idempotency_key == key).values(created_at=aged))


async def test_purge_removes_only_expired_records_in_batches(intake_on: Intake):
    headers = auth(await intake_on.key())
    for number in range(3):
        assert await _post(intake_on, f"old-{number}", headers, f"旧投诉{number}号，年费被乱收") == 201
    assert await _post(intake_on, "fresh", headers, "新投诉，理财产品亏损") == 201
    for number in range(3):
        await _age(intake_on, f"old-{number}", intake_on.settings.idempotency_retention_hours + 1)

    settings = intake_on.settings.model_copy(update={"idempotency_purge_batch": 2})
    assert await housekeeping.purge_until_done(intake_on.service, settings) == 3

    left = await intake_on.rows(models.idempotency)
    assert [row.idempotency_key for row in left] == ["fresh"]
    # Inside the retention period a retry still replays; after it the key is free again.
    assert await _post(intake_on, "fresh", headers, "新投诉，理财产品亏损") == 200
    assert await _post(intake_on, "old-0", headers, "旧投诉0号，年费被乱收") == 201


async def test_purge_with_nothing_expired_deletes_nothing(intake_on: Intake):
    headers = auth(await intake_on.key())
    assert await _post(intake_on, "recent", headers, "信用卡被盗刷") == 201
    assert await housekeeping.purge_until_done(intake_on.service, intake_on.settings) == 0
    assert len(await intake_on.rows(models.idempotency)) == 1
