"""Fixtures: SQLite and PostgreSQL databases (both real), the Kafka-protocol broker."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.staff_tokens import TEST_STAFF_SECRET
from tests.support import fresh_database, kafka_broker

# Every service verifies staff tokens with this key in tests (child processes inherit it).
os.environ.setdefault("KESU_STAFF_JWT_SECRET", TEST_STAFF_SECRET)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One fresh PostgreSQL database for the session (tests use unique ids, so they share it)."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """Each storage test runs on SQLite and on PostgreSQL, each time on an empty database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kesu.sqlite'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A Kafka-protocol broker for the session."""
    with kafka_broker() as bootstrap:
        yield bootstrap
