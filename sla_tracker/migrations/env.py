"""Alembic environment for the sla_tracker service (its own version table, batch mode)."""

from sla_tracker.models import metadata
from shared.migrations import run_env

run_env(metadata)
