"""people channels: staff directory, complaint language/reference/assignee, wider rule, read_at

Revision ID: notifier_20261123_0003
Revises: notifier_20261123_0002
Create Date: 2026-11-23 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'notifier_20261123_0003'
down_revision = 'notifier_20261123_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifier_directory',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('org_code', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('updated_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_notifier_directory'))
    )
    with op.batch_alter_table('notifier_directory', schema=None) as batch_op:
        batch_op.create_index('ix_notifier_directory_role_org', ['role', 'org_code'], unique=False)
    with op.batch_alter_table('notifier_complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('received_at', shared.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assignee', sa.String(length=100), nullable=True))
    with op.batch_alter_table('notifier_notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', shared.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.alter_column('rule', existing_type=sa.String(length=64), type_=sa.String(length=200),
                              existing_nullable=False)
        batch_op.create_index('ix_notifier_notifications_in_app', ['recipient', 'channel', 'read_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifier_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifier_notifications_in_app')
        batch_op.alter_column('rule', existing_type=sa.String(length=200), type_=sa.String(length=64),
                              existing_nullable=False)
        batch_op.drop_column('read_at')
    with op.batch_alter_table('notifier_complaints', schema=None) as batch_op:
        batch_op.drop_column('assignee')
        batch_op.drop_column('received_at')
        batch_op.drop_column('language')
        batch_op.drop_column('reference')
    with op.batch_alter_table('notifier_directory', schema=None) as batch_op:
        batch_op.drop_index('ix_notifier_directory_role_org')
    op.drop_table('notifier_directory')
