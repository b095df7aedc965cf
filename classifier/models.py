"""Tables owned by the classifier (prefix ``classifier_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, String, Table, Text

from shared.db import UtcDateTime, inbox_table, outbox_table, service_metadata

metadata = service_metadata()

classifications = Table(
    "classifier_classifications",
    metadata,
    Column("complaint_id", String(36), primary_key=True),
    Column("business_line", String(40), nullable=False),
    Column("cause", String(40), nullable=False),
    Column("flags", JSON, nullable=False),
    Column("emotion", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("complexity", String(20), nullable=False),
    Column("confidence", JSON, nullable=False),
    Column("explanation", JSON, nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("model_version", String(40), nullable=False),
    Column("taxonomy_version", String(40), nullable=False),
    Column("classified_at", UtcDateTime, nullable=False),
    # The redacted text and its language: a later staff correction is learnt against them.
    Column("content", Text, nullable=True),
    Column("language", String(8), nullable=True),
    Column("channel", String(40), nullable=True),
)

# One row per ComplaintReclassified; the newest per complaint is what training learns.
corrections = Table(
    "classifier_corrections",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("complaint_id", String(36), nullable=False),
    Column("business_line", String(40), nullable=False),
    Column("cause", String(40), nullable=False),
    Column("flags", JSON, nullable=False),
    Column("emotion", String(20), nullable=True),
    Column("severity", String(20), nullable=True),
    Column("complexity", String(20), nullable=False),
    Column("previous", JSON, nullable=False),
    Column("reason", Text, nullable=True),
    Column("actor", String(100), nullable=False),
    Column("reclassified_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_classifier_corrections_complaint_id", "complaint_id"),
)

outbox = outbox_table(metadata, "classifier")
inbox = inbox_table(metadata, "classifier")
