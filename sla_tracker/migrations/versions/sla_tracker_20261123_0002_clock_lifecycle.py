"""clock lifecycle: generations, pauses, extensions, complaints, calendar imports

Revision ID: sla_tracker_20261123_0002
Revises: sla_tracker_20261123_0001
Create Date: 2026-11-23 16:40:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'sla_tracker_20261123_0002'
down_revision = 'sla_tracker_20261123_0001'
branch_labels = None
depends_on = None

NEW_CLOCK_COLUMNS = (
    ("generation", sa.Integer(), dict(nullable=False, server_default="0")),
    ("policy_version", sa.String(20), dict(nullable=False, server_default="")),
    ("allowed", sa.Integer(), dict(nullable=False, server_default="0")),
    ("legal_latest_date", sa.Date(), dict(nullable=True)),
    ("informational", sa.Boolean(), dict(nullable=False, server_default=sa.text("false"))),
    ("paused_at", shared.db.UtcDateTime(timezone=True), dict(nullable=True)),
    ("stop_reason", sa.String(60), dict(nullable=True)),
    ("channel", sa.String(40), dict(nullable=True)),
    ("branch_code", sa.String(40), dict(nullable=True)),
    ("business_line", sa.String(40), dict(nullable=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        for name, type_, options in NEW_CLOCK_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, **options))
        batch_op.drop_constraint('uq_sla_clocks_complaint_policy_clock', type_='unique')
        batch_op.create_unique_constraint('uq_sla_clocks_generation', ['complaint_id', 'policy', 'clock_name', 'generation'])
        batch_op.create_index('ix_sla_clocks_started_at', ['started_at'], unique=False)

    op.create_table('sla_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('paused_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resumed_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_pauses'))
    )
    op.create_index('ix_sla_pauses_clock_id', 'sla_pauses', ['clock_id'], unique=False)
    op.create_table('sla_extensions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.Column('granted_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_extensions'))
    )
    op.create_index('ix_sla_extensions_clock_id', 'sla_extensions', ['clock_id'], unique=False)
    op.create_table('sla_complaints',
    sa.Column('complaint_id', sa.String(length=36), nullable=False),
    sa.Column('received_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('branch_code', sa.String(length=40), nullable=True),
    sa.Column('region_code', sa.String(length=20), nullable=True),
    sa.Column('regulator_authority', sa.String(length=40), nullable=True),
    sa.Column('business_line', sa.String(length=40), nullable=True),
    sa.Column('complexity', sa.String(length=10), nullable=True),
    sa.Column('policies', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_sla_complaints'))
    )
    op.create_table('sla_calendar_imports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('calendar', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('imported_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_calendar_imports'))
    )


def downgrade() -> None:
    op.drop_table('sla_calendar_imports')
    op.drop_table('sla_complaints')
    op.drop_index('ix_sla_extensions_clock_id', table_name='sla_extensions')
    op.drop_table('sla_extensions')
    op.drop_index('ix_sla_pauses_clock_id', table_name='sla_pauses')
    op.drop_table('sla_pauses')
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_started_at')
        batch_op.drop_constraint('uq_sla_clocks_generation', type_='unique')
        batch_op.create_unique_constraint('uq_sla_clocks_complaint_policy_clock', ['complaint_id', 'policy', 'clock_name'])
        for name, _, _ in reversed(NEW_CLOCK_COLUMNS):
            batch_op.drop_column(name)
