"""rollup deltas: append-only changes to the metrics rollup, folded in by a background task

Revision ID: sla_tracker_20261123_0004
Revises: sla_tracker_20261123_0003
Create Date: 2026-11-23 18:45:00
"""
from alembic import op
import sqlalchemy as sa

from sla_tracker.models import ROLLUP_COUNTERS


revision = 'sla_tracker_20261123_0004'
down_revision = 'sla_tracker_20261123_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sla_rollup_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in ROLLUP_COUNTERS),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_rollup_deltas'))
    )


def downgrade() -> None:
    op.drop_table('sla_rollup_deltas')
