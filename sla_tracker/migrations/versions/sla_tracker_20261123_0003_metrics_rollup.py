"""metrics rollup: per-day counters of clocks and an index on open clocks by due instant

Revision ID: sla_tracker_20261123_0003
Revises: sla_tracker_20261123_0002
Create Date: 2026-11-23 17:20:00
"""
from alembic import op
import sqlalchemy as sa

from sla_tracker import rollup
from sla_tracker.models import ROLLUP_COUNTERS


revision = 'sla_tracker_20261123_0003'
down_revision = 'sla_tracker_20261123_0002'
branch_labels = None
depends_on = None

OPEN_COUNTED = sa.text("state IN ('running', 'paused', 'breached') AND NOT informational")


def upgrade() -> None:
    op.create_table('sla_clock_rollup',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in ROLLUP_COUNTERS),
    sa.PrimaryKeyConstraint('day', 'dimension', 'value', name=op.f('pk_sla_clock_rollup'))
    )
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_sla_clocks_open_due',
                              ['due_at', 'started_at', 'policy', 'branch_code', 'business_line', 'channel'],
                              unique=False, postgresql_where=OPEN_COUNTED, sqlite_where=OPEN_COUNTED)
    # Backfill: one INSERT ... SELECT over the existing clocks. It uses the live module's
    # counting so the two cannot disagree; freeze a copy here if the rollup's columns change.
    for statement in rollup.rebuild_statements(op.get_bind().dialect.name == 'postgresql'):
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_open_due')
    op.drop_table('sla_clock_rollup')
