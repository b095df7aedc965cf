"""A unit of work whose PostgreSQL backend is killed (pg_terminate_backend) fails promptly and cleanly.

The open question was whether ``UnitOfWork.__aexit__`` could hang in its rollback on a dead
connection. It does not: asyncpg sees the closed socket at once. What needed fixing was that the
rollback's own error ("connection is closed") replaced the failure that caused the rollback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.uow import UnitOfWork
from tests.kafka.helpers import ResultStore

# A guard against a hang only: each step below takes milliseconds.
HANG_GUARD_S = 10


@pytest.fixture
async def store(postgres_url) -> AsyncIterator[ResultStore]:
    """A small service database on PostgreSQL."""
    result_store = ResultStore(postgres_url)
    await result_store.create_schema()
    yield result_store
    await result_store.close()


@pytest.fixture
async def admin(postgres_url) -> AsyncIterator[asyncpg.Connection]:
    """A separate connection, as a DBA (or a failover) terminating backends would use."""
    conn = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    yield conn
    await conn.close()


async def terminate(admin: asyncpg.Connection, uow: UnitOfWork) -> None:
    """Kill the backend serving this unit of work's transaction."""
    pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)


async def run_guarded(body) -> BaseException:
    """Run ``async with uow: body(uow)`` under the hang guard; return what it raised."""
    with pytest.raises(BaseException) as raised:
        await asyncio.wait_for(body(), HANG_GUARD_S)
    return raised.value


async def test_a_statement_after_the_backend_was_killed_raises_and_the_next_unit_of_work_works(store, admin):
    async def body():
        async with store.unit_of_work() as uow:
            await uow.mark_processed("probe", "killed-1")
            await terminate(admin, uow)
            await uow.mark_processed("probe", "killed-2")

    assert isinstance(await run_guarded(body), DBAPIError)
    async with store.unit_of_work() as uow:
        assert await uow.mark_processed("probe", "after-kill")
    assert await store.inbox_ids() >= {"after-kill"} and not await store.inbox_ids() & {"killed-1", "killed-2"}


async def test_a_statement_in_flight_when_the_backend_is_killed_raises_at_once(store, admin):
    async def body():
        async with store.unit_of_work() as uow:
            pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            killer = asyncio.get_running_loop().call_later(
                0.2, lambda: asyncio.ensure_future(admin.execute("SELECT pg_terminate_backend($1)", pid)))
            try:
                await uow.session.execute(text("SELECT pg_sleep(60)"))
            finally:
                killer.cancel()

    assert isinstance(await run_guarded(body), DBAPIError)


async def test_the_failure_that_caused_the_rollback_propagates_not_the_dead_connection(store, admin):
    async def body():
        async with store.unit_of_work() as uow:
            await uow.mark_processed("probe", "killed-3")
            await terminate(admin, uow)
            raise LookupError("the handler's own failure")

    raised = await run_guarded(body)
    assert isinstance(raised, LookupError) and "handler's own failure" in str(raised)
    assert "killed-3" not in await store.inbox_ids()


async def test_a_commit_on_a_killed_backend_raises_and_keeps_nothing(store, admin):
    async def body():
        async with store.unit_of_work() as uow:
            await uow.mark_processed("probe", "killed-4")
            await terminate(admin, uow)

    assert isinstance(await run_guarded(body), DBAPIError)
    assert "killed-4" not in await store.inbox_ids()
