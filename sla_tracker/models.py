"""Tables owned by the SLA tracker (prefix ``sla_``)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, String, Table, UniqueConstraint, text

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

clocks = Table(
    "sla_clocks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False),
    Column("policy", String(40), nullable=False),
    Column("clock_name", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("warned_level", Integer, nullable=False, default=0),
    Column("next_check_at", UtcDateTime),
    Column("breached_at", UtcDateTime),
    Column("stopped_at", UtcDateTime),
    Column("outcome", String(16)),
    UniqueConstraint("complaint_id", "policy", "clock_name", name="uq_sla_clocks_complaint_policy_clock"),
    Index("ix_sla_clocks_next_check", "next_check_at", postgresql_where=text("next_check_at IS NOT NULL"),
          sqlite_where=text("next_check_at IS NOT NULL")),
)

outbox = outbox_table(metadata, "sla")
inbox = inbox_table(metadata, "sla")
