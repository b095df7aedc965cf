"""Tables owned by the SLA tracker (prefix ``sla_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, String, Table, Text, UniqueConstraint, text

from shared.db import BigId, UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

OPEN_COUNTED = text("state IN ('running', 'paused', 'breached') AND NOT informational")

# One row per clock and generation: a restart (re-filing with new facts) starts a new
# generation, so each generation's warnings and breach are issued exactly once.
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
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("policy_version", String(20), nullable=False, server_default=""),
    Column("allowed", Integer, nullable=False, server_default="0"),
    Column("legal_latest_date", Date),
    Column("informational", Boolean, nullable=False, server_default=text("false")),
    Column("paused_at", UtcDateTime),
    Column("stop_reason", String(60)),
    Column("channel", String(40)),
    Column("branch_code", String(40)),
    Column("business_line", String(40)),
    UniqueConstraint("complaint_id", "policy", "clock_name", "generation", name="uq_sla_clocks_generation"),
    Index("ix_sla_clocks_next_check", "next_check_at", postgresql_where=text("next_check_at IS NOT NULL"),
          sqlite_where=text("next_check_at IS NOT NULL")),
    Index("ix_sla_clocks_started_at", "started_at"),
    # Due-soon counts read only open clocks near their deadline: a short range scan of this index.
    Index("ix_sla_clocks_open_due", "due_at", "started_at", "policy", "branch_code", "business_line", "channel",
          postgresql_where=OPEN_COUNTED, sqlite_where=OPEN_COUNTED),
)

# Upper edges (hours) of the decision-time histogram; the last bucket is open-ended. Daily up
# to 15 days, where the statutory deadlines sit, so interpolated percentiles are within 12 h there.
DECISION_BUCKET_HOURS = (6, 12, *range(24, 15 * 24 + 1, 24), 20 * 24, 30 * 24, 45 * 24, 60 * 24, 90 * 24)
ROLLUP_COUNTERS = ("opened", "open", "warned", "breached", "met", "missed", "decided", "decided_15d",
                   *(f"b{i:02d}" for i in range(len(DECISION_BUCKET_HOURS) + 1)))

# Counters per UTC start day and (dimension, value), e.g. ("branch_code", "B12"), kept by
# sla_tracker.rollup in the clocks' transactions. '' stands for unknown: NULLs never conflict in a key.
clock_rollup = Table(
    "sla_clock_rollup",
    metadata,
    Column("day", Date, primary_key=True),
    Column("dimension", String(16), primary_key=True),
    Column("value", String(40), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in ROLLUP_COUNTERS),
)

# Append-only changes to the rollup: each transaction that changes clocks inserts one row per
# rollup key it touched, so concurrent transactions never wait on each other's hot rollup rows.
# A background fold (sla_tracker.rollup.fold) moves them into sla_clock_rollup; reads add the
# rows not yet folded, so the figures stay exact.
rollup_deltas = Table(
    "sla_rollup_deltas",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("dimension", String(16), nullable=False),
    Column("value", String(40), nullable=False),
    *(Column(name, Integer, nullable=False, server_default="0") for name in ROLLUP_COUNTERS),
)

pauses = Table(
    "sla_pauses",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("clock_id", String(36), nullable=False, index=True),
    Column("status", String(40), nullable=False),
    Column("paused_at", UtcDateTime, nullable=False),
    Column("resumed_at", UtcDateTime),
)

extensions = Table(
    "sla_extensions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("clock_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("extra", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("approved_by", String(100)),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("note", Text, nullable=False),
)

# What the tracker knows of each complaint, from whichever stream arrived first.
complaints = Table(
    "sla_complaints",
    metadata,
    Column("complaint_id", String(36), primary_key=True),
    Column("received_at", UtcDateTime),
    Column("channel", String(40)),
    Column("branch_code", String(40)),
    Column("region_code", String(20)),
    Column("regulator_authority", String(40)),
    Column("business_line", String(40)),
    Column("complexity", String(10)),
    Column("policies", JSON, nullable=False),
)

calendar_imports = Table(
    "sla_calendar_imports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("calendar", String(20), nullable=False),
    Column("version", String(60), nullable=False),
    Column("document", JSON, nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)

outbox = outbox_table(metadata, "sla")
inbox = inbox_table(metadata, "sla")
