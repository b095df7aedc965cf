"""Alembic environment for the intake service (its own version table, batch mode)."""

from intake.models import metadata
from shared.migrations import run_env

run_env(metadata)
