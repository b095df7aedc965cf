"""corrections and stored texts

Revision ID: classifier_20261123_0002
Revises: classifier_20261123_0001
Create Date: 2026-11-23 17:00:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db


revision = 'classifier_20261123_0002'
down_revision = 'classifier_20261123_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('classifier_classifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=40), nullable=True))
    op.create_table('classifier_corrections',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('complaint_id', sa.String(length=36), nullable=False),
    sa.Column('business_line', sa.String(length=40), nullable=False),
    sa.Column('cause', sa.String(length=40), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('emotion', sa.String(length=20), nullable=True),
    sa.Column('severity', sa.String(length=20), nullable=True),
    sa.Column('complexity', sa.String(length=20), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reclassified_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', shared.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_classifier_corrections'))
    )
    with op.batch_alter_table('classifier_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_classifier_corrections_complaint_id', ['complaint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('classifier_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_classifier_corrections_complaint_id')
    op.drop_table('classifier_corrections')
    with op.batch_alter_table('classifier_classifications', schema=None) as batch_op:
        batch_op.drop_column('channel')
        batch_op.drop_column('language')
        batch_op.drop_column('content')
