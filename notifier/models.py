"""Tables owned by the notifier (prefix ``notifier_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

notifications = Table(
    "notifier_notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    # "<rule id>:<channel>:<recipient kind>[:<username>]" for people; wide enough for long usernames.
    Column("rule", String(200), nullable=False),
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
    # Set for deliveries to a webhook subscription; null for the configured acknowledgement URL.
    Column("subscription_id", String(36), index=True),
    # Attempts made before the last manual redelivery, so a redelivery gets a fresh retry budget.
    Column("retry_base", Integer, nullable=False, default=0, server_default="0"),
    # In-app notifications: when the recipient read it (null: unread).
    Column("read_at", UtcDateTime),
    UniqueConstraint("rule", "event_id", name="uq_notifier_notifications_rule_event"),
    Index("ix_notifier_notifications_due", "next_attempt_at"),
    Index("ix_notifier_notifications_in_app", "recipient", "channel", "read_at"),
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

webhooks = Table(
    "notifier_webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("description", String(200)),
    # Filters: an empty list matches everything.
    Column("event_types", JSON, nullable=False),
    Column("business_lines", JSON, nullable=False),
    Column("branches", JSON, nullable=False),
    Column("severities", JSON, nullable=False),
    # Kept retrievable (not hashed) because every delivery must be signed with it.
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100)),
    Column("previous_secret_expires_at", UtcDateTime),
    Column("enabled", Boolean, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("disabled_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# What the notifier has learnt about each complaint from events, for subscription filters.
complaints = Table(
    "notifier_complaints",
    metadata,
    Column("complaint_id", String(36), primary_key=True),
    Column("branch_code", String(64)),
    Column("business_line", String(64)),
    Column("severity", String(32)),
    # For people notifications: the complainant's language, the reference, receipt and assignee.
    Column("reference", String(64)),
    Column("language", String(8)),
    Column("received_at", UtcDateTime),
    Column("assignee", String(100)),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Staff contacts kept as data: services never read each other's tables, so the cases service's
# users are mirrored here through the API or a YAML seed.
directory = Table(
    "notifier_directory",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("org_code", String(64), nullable=False),
    Column("email", String(320)),
    Column("phone", String(32)),
    Column("language", String(8), nullable=False),
    Column("on_duty", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_notifier_directory_role_org", "role", "org_code"),
)

outbox = outbox_table(metadata, "notifier")
inbox = inbox_table(metadata, "notifier")
