"""Alembic plumbing: each service has its own migrations and version table, run in batch mode."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICES_WITH_MIGRATIONS = ("intake", "classifier", "sla_tracker", "notifier", "cases")
# Services whose package is not named after them.
SERVICE_PACKAGES = {"cases": "services.cases"}


def version_table(service: str) -> str:
    """Each service records its own migration head."""
    return f"{service}_alembic_version"


def alembic_config(service: str) -> Config:
    """A programmatic Alembic config for one service's ``migrations`` package."""
    config = Config()
    package_dir = Path(importlib.import_module(SERVICE_PACKAGES.get(service, service)).__file__).parent
    config.set_main_option("script_location", str(package_dir / "migrations"))
    config.set_main_option("version_table", version_table(service))
    return config


async def upgrade(engine: AsyncEngine, service: str, revision: str = "head") -> None:
    """Apply a service's migrations up to a revision."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, service, revision)


def _upgrade(connection: Connection, service: str, revision: str) -> None:
    config = alembic_config(service)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py``: online migrations on the given connection."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `kesu migrate`, which supplies the connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=config.get_main_option("version_table"),
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
