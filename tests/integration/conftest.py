"""Fixtures for storage tests: a migrated database (SQLite or PostgreSQL) and services on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from classifier.main import build as build_classifier
from classifier.settings import ClassifierSettings
from intake.main import build as build_intake
from intake.settings import IntakeSettings
from services.runner import SERVICES
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine
from sla_tracker.main import build as build_sla
from sla_tracker.settings import SlaSettings
from tests.integration.fakes import RecordingBus


@pytest.fixture
async def engine(database_url):
    """An engine on a database with every service's migrations applied."""
    engine = create_engine(database_url)
    for name in SERVICES:
        await migrations.upgrade(engine, name)
    yield engine
    await engine.dispose()


@pytest.fixture
def bus() -> RecordingBus:
    """A bus that records publishes."""
    return RecordingBus()


@pytest.fixture
def intake(engine, bus, database_url):
    """The intake service on the test database."""
    return build_intake(IntakeSettings(database_url=database_url), engine=engine, bus=bus, clock=SystemClock())


@pytest.fixture
def classifier(engine, bus, database_url):
    """The classifier service on the test database."""
    return build_classifier(ClassifierSettings(database_url=database_url), engine=engine, bus=bus, clock=SystemClock())


@pytest.fixture
def sla(engine, bus, database_url):
    """The SLA tracker on the test database."""
    return build_sla(SlaSettings(database_url=database_url), engine=engine, bus=bus, clock=SystemClock())


@pytest.fixture
async def second_engine(database_url) -> AsyncIterator:
    """Another engine on the same database, as a second process would have."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
