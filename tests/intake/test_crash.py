"""A crash while group commits are in flight loses no complaint that got a 201 and leaves none half stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from intake import models
from shared.db import create_engine
from tests.e2e.processes import KesuProcess, clean_env, create_api_key, run_kesu, stop_all
from tests.intake.test_api_contract import BODY, auth


async def _post_until_killed(process: KesuProcess, key: str, clients: int = 24) -> list[str]:
    """Many clients post back to back; once some were accepted, SIGKILL the process. The 201 ids."""
    accepted: list[str] = []

    async def client_loop(client: httpx.AsyncClient, n: int) -> None:
        for i in range(10_000):
            body = {**BODY, "external_ref": f"K-{n}-{i}", "content": f"第{n}-{i}件：{BODY['content']}"}
            try:
                response = await client.post("/v1/complaints", json=body, headers=auth(key))
            except httpx.HTTPError:
                return  # the process is gone
            if response.status_code == 201:
                accepted.append(response.json()["complaint_id"])

    async def killer() -> None:
        deadline = asyncio.get_running_loop().time() + 30  # a broken intake fails the test, not hangs it
        while len(accepted) < 60 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(process.kill)

    async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
        await asyncio.gather(killer(), *(client_loop(client, n) for n in range(clients)))
    return accepted


async def _stored(url: str) -> tuple[set[str], set[str], set[str]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        complaints = set((await conn.execute(select(models.complaints.c.id))).scalars())
        sealed = set((await conn.execute(select(models.pii.c.complaint_id))).scalars())
        events = set((await conn.execute(select(models.outbox.c.key))).scalars())
    await engine.dispose()
    return complaints, sealed, events


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_sigkill_during_group_commits_loses_no_accepted_complaint(database_url: str, tmp_path: Path):
    env = clean_env(KESU_DATABASE_URL=database_url, KESU_DATA_DIR=str(tmp_path / "data"),
                    KESU_RATE_LIMIT_PER_S="100000")
    run_kesu(["migrate", "--service", "intake"], env, tmp_path)
    key = create_api_key("mobile_app", env, tmp_path)
    process = KesuProcess("intake", ["run", "intake"], env, tmp_path)
    try:
        process.start().wait_ready()
        accepted = asyncio.run(_post_until_killed(process, key))
    finally:
        stop_all([process])
    complaints, sealed, events = asyncio.run(_stored(database_url))
    assert len(accepted) >= 60
    assert set(accepted) <= complaints  # every 201 was durable
    assert complaints == sealed == events  # nothing half stored: each complaint has its vault row and its event
