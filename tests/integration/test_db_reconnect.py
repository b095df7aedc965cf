"""A service keeps working after PostgreSQL drops every connection in its pool (a restart, a DBA).

The engine has no per-checkout ping; dead pooled connections must be replaced on checkout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from intake import handlers
from intake.schemas import ComplaintCreate
from shared import db
from shared.db import create_engine

KEY = b"test-pseudonym-key"
CONCURRENT = 4
# pg_terminate_backend waits up to this long (ms) for each backend to exit.
TERMINATE_WAIT_MS = 5000


@pytest.fixture
async def admin(database_url) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own, as a DBA terminating backends would use."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    yield conn
    await conn.close()


async def receive_concurrently(service, label: str) -> list[str]:
    """Receive several complaints at once, so the pool holds several connections."""
    async def one(n: int) -> str:
        async with service.unit_of_work() as uow:
            await uow.session.execute(text("SELECT pg_sleep(0.05)"))
            accepted = await handlers.receive_complaint(
                uow, ComplaintCreate(channel="mobile_app", content=f"{label} {n}"),
                pseudonym_key=KEY, timezone="Asia/Shanghai")
        return accepted.complaint_id

    return await asyncio.gather(*(one(n) for n in range(CONCURRENT)))


async def kill_every_other_backend(admin: asyncpg.Connection) -> int:
    """Terminate every other connection to this database and wait until they are gone."""
    pids = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    for row in pids:
        assert await admin.fetchval("SELECT pg_terminate_backend($1, $2)", row["pid"], TERMINATE_WAIT_MS)
    await asyncio.sleep(0.2)  # the client side reads the closed sockets
    return len(pids)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_units_of_work_and_the_relay_recover_after_every_pooled_connection_is_killed(intake, admin, bus):
    before = await receive_concurrently(intake, "before")
    assert await intake.relay.publish_pending() == CONCURRENT

    assert await kill_every_other_backend(admin) >= CONCURRENT

    after = await receive_concurrently(intake, "after")
    assert await intake.relay.publish_pending() == CONCURRENT
    published = [r.key.decode() for r in bus.published]
    assert set(published[:CONCURRENT]) == set(before) and set(published[CONCURRENT:]) == set(after)
    assert await intake.relay.backlog() == 0


class SeveringProxy:
    """A TCP proxy to PostgreSQL that can drop its server side silently, as a failover or a NAT does.

    After ``sever()`` the client sockets stay open and quiet, so the driver cannot know; the
    proxy closes a client socket only when the client next sends something.
    """

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._severed: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and close every link."""
        self._server.close()
        for client, server in self._links:
            client.close()
            server.close()

    def sever(self) -> None:
        """Close every server-side socket; leave the client sides open and silent."""
        for client, server in self._links:
            self._severed.add(client)
            server.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self._upstream)
        self._links.append((client_writer, server_writer))
        await asyncio.gather(self._to_server(client_reader, server_writer, client_writer),
                             self._to_client(server_reader, client_writer), return_exceptions=True)

    async def _to_server(self, client_reader: asyncio.StreamReader, server_writer: asyncio.StreamWriter,
                         client_writer: asyncio.StreamWriter) -> None:
        while data := await client_reader.read(65536):
            if client_writer in self._severed:
                break  # the client spoke on a dead link: only now does it learn
            server_writer.write(data)
        client_writer.close()
        server_writer.close()

    async def _to_client(self, server_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        while data := await server_reader.read(65536):
            client_writer.write(data)
        if client_writer not in self._severed:
            client_writer.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_long_idle_connection_dropped_silently_is_pinged_and_replaced(database_url, monkeypatch):
    url = make_url(database_url)
    proxy = SeveringProxy(url.host, url.port or 5432)
    await proxy.start()
    engine = create_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    monkeypatch.setattr(db, "IDLE_PING_AFTER_S", 0.1)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        proxy.sever()
        await asyncio.sleep(0.3)  # idle past the threshold; the driver has seen nothing
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != first
    finally:
        await engine.dispose()
        await proxy.close()
