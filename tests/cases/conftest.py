"""Fixtures of the cases tests: the service on SQLite and PostgreSQL with the org tree and staff."""

from __future__ import annotations

import pytest

from tests.cases.driver import cases_env


@pytest.fixture
async def env(database_url, tmp_path):
    """The cases service, driven through its consumer routes and its HTTP API."""
    async with cases_env(database_url, tmp_path) as built:
        yield built


@pytest.fixture
async def sqlite_env(tmp_path):
    """The cases service on SQLite only (for tests whose logic does not depend on the backend)."""
    async with cases_env(f"sqlite+aiosqlite:///{tmp_path / 'cases.sqlite'}", tmp_path) as built:
        yield built
