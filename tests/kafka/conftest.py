"""Fixtures for the bus tests: the Kafka bus on the test broker, the in-process bus, a result store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.bus import Bus
from shared.bus.kafka import KafkaBus
from shared.bus.memory import InProcessBus
from tests.kafka.helpers import ResultStore, kafka_settings
from tests.support import kafka_settings_env


@pytest.fixture
def kafka_env(kafka_bootstrap) -> dict[str, str]:
    """``KESU_*`` variables for processes that talk to the broker."""
    return kafka_settings_env(kafka_bootstrap)


@pytest.fixture
async def kafka_bus(kafka_env) -> AsyncIterator[KafkaBus]:
    """A started Kafka bus on the test broker (or KAFKA_BOOTSTRAP_SERVERS)."""
    bus = KafkaBus(kafka_settings(kafka_env))
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def memory_bus(tmp_path) -> AsyncIterator[InProcessBus]:
    """A started in-process bus whose log is a SQLite file."""
    bus = InProcessBus(f"sqlite+aiosqlite:///{tmp_path / 'bus.sqlite'}")
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture(params=["kafka", "memory"])
def bus(request) -> Bus:
    """Each bus test runs on Kafka and on the in-process bus: the two must agree."""
    # Asked for lazily, so the in-process half runs even where no broker is available.
    return request.getfixturevalue(f"{request.param}_bus")


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[ResultStore]:
    """A small service database on a SQLite file: outbox, inbox and a results table."""
    result_store = ResultStore(f"sqlite+aiosqlite:///{tmp_path / 'service.sqlite'}")
    await result_store.create_schema()
    yield result_store
    await result_store.close()
