"""Tables owned by intake (prefix ``intake_``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON, Column, Date, Float, Index, Integer, LargeBinary, Numeric, PrimaryKeyConstraint, String, Table, Text,
    UniqueConstraint,
)

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

# ``content`` and ``subject`` hold the redacted text (as published); the original is in the vault.
complaints = Table(
    "intake_complaints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("external_ref", String(200)),
    Column("received_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("complainant_ref", String(64)),
    Column("language", String(2), nullable=False),
    Column("subject", String(500)),
    Column("content", Text, nullable=False),
    Column("product_hint", String(200)),
    Column("branch_code", String(64)),
    Column("region_code", String(12)),
    Column("classification", JSON),
    Column("classified_at", UtcDateTime),
    Column("sla_due_at", UtcDateTime),
    Column("sla_due_date", Date),
    Column("sla_state", String(16)),
    Column("duplicate_of", String(36)),
    Column("group_size", Integer, nullable=False, server_default="1"),
    Column("vulnerability", JSON),
    Column("amount_value", Numeric(19, 4)),
    Column("amount_currency", String(3)),
    Column("regulator_authority", String(32)),
    Column("regulator_reference", String(200)),
    Column("regulator_deadline", UtcDateTime),
    Column("attachments", JSON),
    Column("api_key_id", String(36)),
    Index("ix_intake_complaints_channel_external_ref", "channel", "external_ref"),
    Index("ix_intake_complaints_complainant_ref_received_at", "complainant_ref", "received_at"),
)

api_keys = Table(
    "intake_api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("channels", JSON, nullable=False),
    Column("label", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("rate_limit_per_s", Float),
    Column("scopes", JSON),
)

daily_sequence = Table(
    "intake_daily_sequence",
    metadata,
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
    UniqueConstraint("day", name="uq_intake_daily_sequence_day"),
)

# A complainant is only a pseudonym; who they are lives in the vault rows of their complaints.
complainants = Table(
    "intake_complainants",
    metadata,
    Column("ref", String(40), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# Blind index: keyed hashes of normalised identifiers -> complainant_ref. Never plaintext.
identifiers = Table(
    "intake_identifiers",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("complainant_ref", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("kind", "digest", name="pk_intake_identifiers"),
    Index("ix_intake_identifiers_complainant_ref", "complainant_ref"),
)

PII_FIELDS = ("name", "id_number", "phone", "email", "address", "customer_id", "agent_name", "agent_phone",
              "subject", "content")

# One row per complaint: each field AES-GCM sealed with the row's key, bound to (complaint, field).
pii = Table(
    "intake_pii",
    metadata,
    Column("complaint_id", String(36), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("id_type", String(32)),
    *(Column(name, LargeBinary) for name in PII_FIELDS),
    Index("ix_intake_pii_key_id", "key_id"),
)

idempotency = Table(
    "intake_idempotency",
    metadata,
    Column("api_key_id", String(36), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("api_key_id", "idempotency_key", name="pk_intake_idempotency"),
    Index("ix_intake_idempotency_created_at", "created_at"),
)

pii_reveals = Table(
    "intake_pii_reveals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False),
    Column("api_key_id", String(36), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("revealed_at", UtcDateTime, nullable=False),
    Index("ix_intake_pii_reveals_complaint_id", "complaint_id"),
)

outbox = outbox_table(metadata, "intake")
inbox = inbox_table(metadata, "intake")
