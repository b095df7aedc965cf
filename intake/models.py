"""Tables owned by intake (prefix ``intake_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, Text, UniqueConstraint

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

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
    Index("ix_intake_complaints_channel_external_ref", "channel", "external_ref"),
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
)

daily_sequence = Table(
    "intake_daily_sequence",
    metadata,
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
    UniqueConstraint("day", name="uq_intake_daily_sequence_day"),
)

outbox = outbox_table(metadata, "intake")
inbox = inbox_table(metadata, "intake")
