"""PII vault, complainant identity, idempotency records, duplicate links, key limits

Revision ID: intake_20261123_0002
Revises: intake_20261123_0001
Create Date: 2026-11-23 17:00:00
"""
from alembic import op
import sqlalchemy as sa
import shared.db

revision = "intake_20261123_0002"
down_revision = "intake_20261123_0001"
branch_labels = None
depends_on = None

PII_FIELDS = ("name", "id_number", "phone", "email", "address", "customer_id", "agent_name", "agent_phone",
              "subject", "content")


def upgrade() -> None:
    with op.batch_alter_table("intake_complaints") as batch:
        batch.add_column(sa.Column("duplicate_of", sa.String(36), nullable=True))
        batch.add_column(sa.Column("group_size", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("vulnerability", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("amount_value", sa.Numeric(19, 4), nullable=True))
        batch.add_column(sa.Column("amount_currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("regulator_authority", sa.String(32), nullable=True))
        batch.add_column(sa.Column("regulator_reference", sa.String(200), nullable=True))
        batch.add_column(sa.Column("regulator_deadline", shared.db.UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attachments", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("api_key_id", sa.String(36), nullable=True))
        batch.create_index("ix_intake_complaints_complainant_ref_received_at", ["complainant_ref", "received_at"])
    with op.batch_alter_table("intake_api_keys") as batch:
        batch.add_column(sa.Column("rate_limit_per_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
    op.create_table(
        "intake_complainants",
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_intake_complainants")),
    )
    op.create_table(
        "intake_identifiers",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("complainant_ref", sa.String(40), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "digest", name="pk_intake_identifiers"),
    )
    op.create_index("ix_intake_identifiers_complainant_ref", "intake_identifiers", ["complainant_ref"])
    op.create_table(
        "intake_pii",
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("id_type", sa.String(32), nullable=True),
        *(sa.Column(name, sa.LargeBinary(), nullable=True) for name in PII_FIELDS),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_intake_pii")),
    )
    op.create_index("ix_intake_pii_key_id", "intake_pii", ["key_id"])
    op.create_table(
        "intake_idempotency",
        sa.Column("api_key_id", sa.String(36), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "idempotency_key", name="pk_intake_idempotency"),
    )
    op.create_table(
        "intake_pii_reveals",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("api_key_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("revealed_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_pii_reveals")),
    )
    op.create_index("ix_intake_pii_reveals_complaint_id", "intake_pii_reveals", ["complaint_id"])


def downgrade() -> None:
    op.drop_table("intake_pii_reveals")
    op.drop_table("intake_idempotency")
    op.drop_index("ix_intake_pii_key_id", "intake_pii")
    op.drop_table("intake_pii")
    op.drop_index("ix_intake_identifiers_complainant_ref", "intake_identifiers")
    op.drop_table("intake_identifiers")
    op.drop_table("intake_complainants")
    with op.batch_alter_table("intake_api_keys") as batch:
        batch.drop_column("scopes")
        batch.drop_column("rate_limit_per_s")
    with op.batch_alter_table("intake_complaints") as batch:
        batch.drop_index("ix_intake_complaints_complainant_ref_received_at")
        for name in ("api_key_id", "attachments", "regulator_deadline", "regulator_reference", "regulator_authority",
                     "amount_currency", "amount_value", "vulnerability", "group_size", "duplicate_of"):
            batch.drop_column(name)
