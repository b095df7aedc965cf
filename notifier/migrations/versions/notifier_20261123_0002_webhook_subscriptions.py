"""webhook subscriptions, complaint attributes, notification subscription and retry base

Revision ID: notifier_20261123_0002
Revises: notifier_20261123_0001
Create Date: 2026-11-23 17:20:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'notifier_20261123_0002'
down_revision = 'notifier_20261123_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifier_webhooks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('business_lines', sa.JSON(), nullable=False),
    sa.Column('branches', sa.JSON(), nullable=False),
    sa.Column('severities', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('previous_secret', sa.String(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', shared.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('created_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifier_webhooks'))
    )
    op.create_table('notifier_complaints',
    sa.Column('complaint_id', sa.String(length=36), nullable=False),
    sa.Column('branch_code', sa.String(length=64), nullable=True),
    sa.Column('business_line', sa.String(length=64), nullable=True),
    sa.Column('severity', sa.String(length=32), nullable=True),
    sa.Column('updated_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_notifier_complaints'))
    )
    with op.batch_alter_table('notifier_notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscription_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('retry_base', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_notifier_notifications_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifier_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifier_notifications_subscription_id'))
        batch_op.drop_column('retry_base')
        batch_op.drop_column('subscription_id')
    op.drop_table('notifier_complaints')
    op.drop_table('notifier_webhooks')
