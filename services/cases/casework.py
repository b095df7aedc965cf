"""Reclassification by staff, notes and attachment metadata on a case."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select

from services.cases import audit, store, timeline
from services.cases.models import attachments, notes
from shared.events import ComplaintReclassified
from shared.uow import UnitOfWork

CLASSIFICATION = ("business_line", "cause", "severity", "complexity", "emotion")


async def reclassify(uow: UnitOfWork, case: dict, *, business_line: str, cause: str, flags: list[str] | None,
                     severity: str | None, complexity: str, emotion: str | None, reason: str | None,
                     actor: str) -> dict:
    """Correct the codes on the case and emit ComplaintReclassified (the classifier learns from it).

    flags None keeps the case's flags; the event always carries the whole set, which the
    classifier learns as the staff's judgement of every flag.
    """
    now = uow.clock.now()
    previous = {name: case[name] for name in CLASSIFICATION} | {"flags": store.flags_list(case["flags"])}
    flags = previous["flags"] if flags is None else flags
    current = {"business_line": business_line, "cause": cause, "severity": severity or case["severity"],
               "complexity": complexity, "emotion": emotion or case["emotion"]}
    await store.change(uow.session, case["complaint_id"], now=now, flags=store.flags_text(flags), **current)
    event = ComplaintReclassified(complaint_id=case["complaint_id"], flags=flags, previous=previous, reason=reason,
                                  actor=actor, reclassified_at=now, **current)
    envelope = await uow.publish(event)
    details = {"previous": previous, "current": current | {"flags": sorted(set(flags))}}
    await timeline.add(uow.session, case["complaint_id"], kind=event.type, source=uow.source, occurred_at=now,
                       actor=actor, data=details | {"reason": reason}, event_id=envelope.id)
    await audit.record(uow.session, actor=actor, action="case.reclassify", subject_type="case",
                       subject_id=case["complaint_id"], reason=reason, details=details, at=now)
    return {**case, **current, "flags": store.flags_text(flags)}


async def add_note(uow: UnitOfWork, case: dict, *, body: str, visibility: str, actor: str) -> dict:
    """A note on the case: internal, or customer-facing (may be quoted to the complainant)."""
    now = uow.clock.now()
    row = {"id": str(uuid.uuid4()), "complaint_id": case["complaint_id"], "author": actor,
           "visibility": visibility, "body": body, "created_at": now}
    await uow.session.execute(insert(notes).values(**row))
    await timeline.add(uow.session, case["complaint_id"], kind="kesu.case.note_added", source=uow.source,
                       occurred_at=now, actor=actor, data={"note_id": row["id"], "visibility": visibility})
    await audit.record(uow.session, actor=actor, action="case.note", subject_type="case",
                       subject_id=case["complaint_id"], details={"note_id": row["id"], "visibility": visibility},
                       at=now)
    return row


async def add_attachment(uow: UnitOfWork, case: dict, *, actor: str, **metadata) -> dict:
    """Attachment metadata (the file itself lives in the bank's document store at ``storage_uri``)."""
    now = uow.clock.now()
    row = {"id": str(uuid.uuid4()), "complaint_id": case["complaint_id"], "uploaded_by": actor,
           "created_at": now, **metadata}
    await uow.session.execute(insert(attachments).values(**row))
    await timeline.add(uow.session, case["complaint_id"], kind="kesu.case.attachment_added", source=uow.source,
                       occurred_at=now, actor=actor,
                       data={"attachment_id": row["id"], "filename": row["filename"], "sha256": row["sha256"]})
    await audit.record(uow.session, actor=actor, action="case.note", subject_type="case",
                       subject_id=case["complaint_id"],
                       details={"attachment_id": row["id"], "filename": row["filename"], "sha256": row["sha256"]},
                       at=now)
    return row


async def notes_for(session, complaint_id: str) -> list[dict]:
    """A case's notes, oldest first."""
    query = select(notes).where(notes.c.complaint_id == complaint_id).order_by(notes.c.created_at)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


async def attachments_for(session, complaint_id: str) -> list[dict]:
    """A case's attachment metadata, oldest first."""
    query = select(attachments).where(attachments.c.complaint_id == complaint_id).order_by(attachments.c.created_at)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]
