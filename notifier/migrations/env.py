"""Alembic environment for the notifier service (its own version table, batch mode)."""

from notifier.models import metadata
from shared.migrations import run_env

run_env(metadata)
