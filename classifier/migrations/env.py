"""Alembic environment for the classifier service (its own version table, batch mode)."""

from classifier.models import metadata
from shared.migrations import run_env

run_env(metadata)
