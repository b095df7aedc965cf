"""Classifier use cases: classify a received complaint, record a staff correction, list corrections."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from classifier.models import classifications, corrections
from classifier.pipeline import Classification, Classifier, ClassifyInput
from shared.consumer import HandlerContext
from shared.events import ComplaintClassified, ComplaintReceived, ComplaintReclassified
from shared.uow import UnitOfWork


def input_for(event: ComplaintReceived) -> ClassifyInput:
    """What the classifier reads from a received complaint (subject and product hint help)."""
    text = "\n".join(part for part in (event.subject, event.product_hint, event.content) if part)
    return ClassifyInput(text=text, language=event.language, channel=event.channel, group_size=event.group_size)


async def classify_complaint(event: ComplaintReceived, ctx: HandlerContext, *, classifier: Classifier) -> None:
    """Classify a received complaint, store the result with its text, publish ComplaintClassified."""
    item = input_for(event)
    result = classifier.classify(item)
    versions = {"model_version": classifier.model_version, "taxonomy_version": classifier.taxonomy.version}
    # A re-sent complaint replaces its earlier classification rather than failing on the key.
    await ctx.uow.session.execute(delete(classifications).where(classifications.c.complaint_id == event.complaint_id))
    await ctx.uow.session.execute(insert(classifications).values(
        complaint_id=event.complaint_id, **_codes(result), **versions, classified_at=ctx.uow.clock.now(),
        content=item.text, language=result.language, channel=event.channel,
    ))
    await ctx.uow.publish(ComplaintClassified(complaint_id=event.complaint_id, **_codes(result), **versions),
                          caused_by=ctx.envelope)


def _codes(result: Classification) -> dict:
    return {"business_line": result.business_line, "cause": result.cause, "flags": result.flags,
            "emotion": result.emotion, "severity": result.severity, "complexity": result.complexity,
            "confidence": result.confidence, "explanation": result.explanation,
            "needs_review": result.needs_review}


async def record_correction(event: ComplaintReclassified, ctx: HandlerContext) -> None:
    """Store a staff correction; the next `kesu classifier train` learns from it."""
    await ctx.uow.session.execute(insert(corrections).values(
        event_id=ctx.envelope.id, complaint_id=event.complaint_id, business_line=event.business_line,
        cause=event.cause, flags=list(event.flags), emotion=event.emotion, severity=event.severity,
        complexity=event.complexity, previous=dict(event.previous), reason=event.reason, actor=event.actor,
        reclassified_at=event.reclassified_at, recorded_at=ctx.uow.clock.now(),
    ))


async def list_corrections(uow: UnitOfWork) -> tuple[list[dict], int]:
    """The newest correction per complaint joined with its stored text; and how many lack a text."""
    query = (select(corrections, classifications.c.content, classifications.c.language)
             .join(classifications, classifications.c.complaint_id == corrections.c.complaint_id, isouter=True)
             .order_by(corrections.c.complaint_id, corrections.c.reclassified_at, corrections.c.event_id))
    newest: dict[str, dict] = {}
    for row in (await uow.session.execute(query)).mappings():
        newest[row["complaint_id"]] = dict(row)  # ordered by time, so the last one wins
    usable = [{**row, "text": row["content"]} for row in newest.values() if row["content"]]
    return usable, len(newest) - len(usable)
