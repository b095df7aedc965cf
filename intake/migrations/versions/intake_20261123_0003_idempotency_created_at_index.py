"""idempotency records indexed by age, for the purge

Revision ID: intake_20261123_0003
Revises: intake_20261123_0002
Create Date: 2026-11-23 19:00:00
"""
from alembic import op

revision = 'intake_20261123_0003'
down_revision = 'intake_20261123_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_intake_idempotency_created_at', 'intake_idempotency', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_intake_idempotency_created_at', table_name='intake_idempotency')
