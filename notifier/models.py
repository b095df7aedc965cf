"""Tables owned by the notifier (prefix ``notifier_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

notifications = Table(
    "notifier_notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("rule", String(64), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(500), nullable=False),
    Column("recipient_kind", String(32), nullable=False),
    Column("template", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    UniqueConstraint("rule", "event_id", name="uq_notifier_notifications_rule_event"),
    Index("ix_notifier_notifications_due", "next_attempt_at"),
)

attempts = Table(
    "notifier_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", String(36), ForeignKey("notifier_notifications.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Float, nullable=False),
)

outbox = outbox_table(metadata, "notifier")
inbox = inbox_table(metadata, "notifier")
