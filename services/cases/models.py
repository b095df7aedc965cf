"""Tables owned by the cases service (prefix ``cases_``)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

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

outbox = outbox_table(metadata, "cases")
inbox = inbox_table(metadata, "cases")
