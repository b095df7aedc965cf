"""Intake on a migrated database (SQLite, or PostgreSQL where a test asks for both) with an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from intake import keys, models
from intake.main import build
from intake.settings import IntakeSettings
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine
from shared.events import Envelope, from_message
from shared.service import Runtime, Service, build_app
from tests.integration.fakes import RecordingBus


@dataclass
class Intake:
    """A running intake app (no background loops), its database and a way to issue keys."""

    service: Service
    engine: AsyncEngine
    client: httpx.AsyncClient
    settings: IntakeSettings

    async def key(self, *channels: str, **options) -> str:
        """Issue an API key for channels (default mobile_app)."""
        async with self.service.unit_of_work() as uow:
            return await keys.create_api_key(uow, channels=list(channels or ["mobile_app"]), **options)

    async def rows(self, table, *where) -> list:
        """Every row of a table, read directly."""
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(table).where(*where))).all())

    async def published(self) -> list[Envelope]:
        """What intake wrote to its outbox, as envelopes."""
        rows = await self.rows(models.outbox)
        return [from_message([(k, v.encode()) for k, v in r.headers], r.payload) for r in rows]


async def start_intake(url: str, **overrides) -> Intake:
    """Migrate, build the service and an in-memory HTTP client (ASGI, no network)."""
    engine = create_engine(url)
    await migrations.upgrade(engine, "intake")
    settings = IntakeSettings(database_url=url, **{"rate_limit_per_s": 10_000, **overrides})
    service = build(settings, engine=engine, bus=RecordingBus(), clock=SystemClock())
    app = build_app(Runtime([service], RecordingBus(), [engine]), title="intake under test")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")
    return Intake(service, engine, client, settings)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'intake.sqlite'}"


@pytest.fixture
async def intake(sqlite_url) -> AsyncIterator[Intake]:
    """Intake on SQLite: the API contract does not depend on the database."""
    found = await start_intake(sqlite_url)
    yield found
    await found.client.aclose()
    await found.engine.dispose()


@pytest.fixture
async def intake_on(database_url) -> AsyncIterator[Intake]:
    """Intake on SQLite and on PostgreSQL (storage and concurrency rules)."""
    found = await start_intake(database_url)
    yield found
    await found.client.aclose()
    await found.engine.dispose()
