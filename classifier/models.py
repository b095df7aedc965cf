"""Tables owned by the classifier (prefix ``classifier_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, String, Table

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
)

outbox = outbox_table(metadata, "classifier")
inbox = inbox_table(metadata, "classifier")
