"""Tables owned by the cases service (prefix ``cases_``)."""

from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Table, Text,
                        text)

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

# --- staff: org tree, users, sessions, audit log ------------------------------------------

# The org tree as a materialised path ("/HO/BJ/BJ01/"), so "this unit and everything below it"
# is one indexed prefix comparison.
orgs = Table(
    "cases_orgs",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # head_office | branch | sub_branch
    Column("parent_code", String(32), ForeignKey("cases_orgs.code")),
    Column("path", String(400), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

users = Table(
    "cases_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200)),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("org_code", String(32), ForeignKey("cases_orgs.code"), nullable=False, index=True),
    Column("team", String(64), index=True),
    Column("email", String(200)),
    Column("phone", String(32)),
    Column("language", String(8), nullable=False, default="zh"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

refresh_tokens = Table(
    "cases_refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("cases_users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    # Rotation: the token that replaced this one, so reuse of a rotated token is detectable.
    Column("replaced_by", String(36)),
    # Every token descending from one login; reuse of a rotated token revokes the whole family.
    Column("family_id", String(36), nullable=False, index=True),
)

login_attempts = Table(
    "cases_login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("client", String(64)),
    Column("succeeded", Boolean, nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Index("ix_cases_login_attempts_user_time", "username", "attempted_at"),
    Index("ix_cases_login_attempts_client_time", "client", "attempted_at"),
    # Pruning deletes by age alone.
    Index("ix_cases_login_attempts_attempted_at", "attempted_at"),
)

# Append-only; each row's hash covers its content and the previous row's hash.
audit_log = Table(
    "cases_audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", String(64)),
    Column("reason", Text),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_cases_audit_log_subject", "subject_type", "subject_id"),
)

# --- cases: workflow tables (services/cases workflow) --------------------------------------

# The case projection: one row per complaint, built from every upstream stream. The case id is
# the complaint id. No personal data: only the pseudonymous complainant_ref.
cases = Table(
    "cases_cases",
    metadata,
    Column("complaint_id", String(36), primary_key=True),
    Column("reference", String(40)),
    Column("channel", String(32)),
    Column("branch_code", String(64)),
    # Org-tree path of the owning unit ("/HO/BJ/BJ01/"): scope is a prefix comparison.
    Column("org_path", String(400), nullable=False),
    Column("language", String(8)),
    Column("content", Text),
    Column("amount_value", Numeric(18, 2)),
    Column("amount_currency", String(3)),
    Column("group_size", Integer, nullable=False, default=1),
    Column("received_at", UtcDateTime),
    Column("complainant_ref", String(128), index=True),
    Column("duplicate_of", String(36), index=True),
    Column("regulator_authority", String(64)),
    Column("business_line", String(64)),
    Column("cause", String(64)),
    # ",flag_a,flag_b,": one LIKE '%,flag,%' filter on every backend.
    Column("flags", Text, nullable=False, default=","),
    Column("severity", String(32)),
    Column("complexity", String(16)),
    Column("emotion", String(32)),
    Column("status", String(32), nullable=False),
    Column("status_changed_at", UtcDateTime, nullable=False),
    Column("assignee", String(64)),
    Column("team", String(64)),
    Column("assigned_at", UtcDateTime),
    # Earliest due instant of the running SLA clocks; due_sort is it or the far future (keyset sort).
    Column("due_at", UtcDateTime),
    Column("due_sort", UtcDateTime, nullable=False),
    Column("breached", Boolean, nullable=False, default=False),
    Column("warning_level", Integer, nullable=False, default=0),
    Column("mediation_offered", Boolean, nullable=False, default=False),
    Column("decided_at", UtcDateTime),
    Column("reviewed", Boolean, nullable=False, default=False),
    Column("closed_at", UtcDateTime),
    Column("lookback_due_at", UtcDateTime),
    Column("lookback_done_at", UtcDateTime),
    Column("lookback_returned", Boolean),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_cases_cases_status_due", "status", "due_sort", "complaint_id"),
    Index("ix_cases_cases_due", "due_sort", "complaint_id"),
    Index("ix_cases_cases_received", "received_at", "complaint_id"),
    Index("ix_cases_cases_org_path", "org_path", postgresql_ops={"org_path": "text_pattern_ops"}),
    Index("ix_cases_cases_assignee", "assignee", "status"),
    Index("ix_cases_cases_team", "team", "status"),
    Index("ix_cases_cases_lookback", "lookback_due_at",
          postgresql_where=text("lookback_done_at IS NULL"), sqlite_where=text("lookback_done_at IS NULL")),
)

# Every running SLA clock of a case as the SLA events describe it.
case_clocks = Table(
    "cases_clocks",
    metadata,
    Column("clock_id", String(64), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("policy", String(64), nullable=False),
    Column("clock_name", String(64), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),  # running | breached | met | missed
)

# Everything that happened to a case, from every service, in event-time order.
timeline = Table(
    "cases_timeline",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("complaint_id", String(36), nullable=False),
    Column("event_id", String(36)),
    Column("kind", String(80), nullable=False),
    Column("source", String(64), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(64)),
    Column("data", JSON, nullable=False),
    Index("ix_cases_timeline_case", "complaint_id", "occurred_at", "seq"),
)

notes = Table(
    "cases_notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("visibility", String(16), nullable=False),  # internal | customer_facing
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

attachments = Table(
    "cases_attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_uri", String(1000), nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

extensions = Table(
    "cases_extensions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # complex | further
    Column("extra_days", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("approved_by", String(64)),
    Column("status", String(16), nullable=False),  # pending | granted
    Column("requested_at", UtcDateTime, nullable=False),
    Column("granted_at", UtcDateTime),
)

decisions = Table(
    "cases_decisions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("review", Boolean, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("redress_type", String(32)),
    Column("redress_value", Numeric(18, 2)),
    Column("redress_currency", String(3)),
    Column("root_cause", String(64), nullable=False),
    Column("letter", Text, nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
)

# One-time survey links: only the SHA-256 of the token is kept.
surveys = Table(
    "cases_surveys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False, index=True),
    Column("token_hash", String(64), unique=True),
    Column("expires_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Column("score", Integer),
    Column("comment", Text),
    Column("channel", String(16)),  # link | callback
    Column("created_at", UtcDateTime, nullable=False),
)

# Round-robin position per team.
assignment_cursor = Table(
    "cases_assignment_cursor",
    metadata,
    Column("team", String(64), primary_key=True),
    Column("last_assignee", String(64), nullable=False),
)

outbox = outbox_table(metadata, "cases")
inbox = inbox_table(metadata, "cases")
