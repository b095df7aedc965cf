"""Alembic environment for the cases service (its own version table, batch mode)."""

from services.cases.models import metadata
from shared.migrations import run_env

run_env(metadata)
