"""Fixtures for the SLA tracker on a migrated database (SQLite and PostgreSQL), with a settable clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared import migrations
from shared.clock import FrozenClock
from shared.db import create_engine
from sla_tracker.main import build
from sla_tracker.settings import SlaSettings
from tests.integration.fakes import RecordingBus
from tests.sla.driver import SlaDriver


@pytest.fixture
async def engine(database_url):
    """An engine on a database with the SLA tracker's migrations applied."""
    engine = create_engine(database_url)
    await migrations.upgrade(engine, "sla_tracker")
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock the test moves."""
    return FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def sla(engine, database_url, clock) -> SlaDriver:
    """The SLA tracker on the test database, driven event by event."""
    service = build(SlaSettings(database_url=database_url), engine=engine, bus=RecordingBus(), clock=clock)
    return SlaDriver(service, clock)
