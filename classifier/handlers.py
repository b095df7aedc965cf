"""Classifier use cases: classify a received complaint, record a staff correction, list corrections.

In the consumer's batch mode (``ctx.batch`` set) the first received complaint of a batch has every
received complaint of the batch classified in one ``classify_many`` call, and the rows of all of
them are written with one DELETE and one INSERT just before COMMIT. A batch that fails anywhere
is rolled back whole and retried one event per transaction by the consumer.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from classifier.models import classifications, corrections
from classifier.pipeline import Classification, Classifier, ClassifyInput
from shared.consumer import HandlerContext
from shared.db import pending_until_commit
from shared.events import ComplaintClassified, ComplaintReceived, ComplaintReclassified
from shared.uow import UnitOfWork

RESULTS = "classifier_batch_results"  # session.info: the batch's classifications by id() of their event
ROWS = "classifier_rows"  # session.info: classification rows to write at COMMIT, by complaint id
# Built once: constructing statements per event cost more CPU than running them.
REPLACE = delete(classifications).where(classifications.c.complaint_id.in_(bindparam("ids", expanding=True)))
INSERT = insert(classifications)


def input_for(event: ComplaintReceived) -> ClassifyInput:
    """What the classifier reads from a received complaint (subject and product hint help)."""
    text = "\n".join(part for part in (event.subject, event.product_hint, event.content) if part)
    return ClassifyInput(text=text, language=event.language, channel=event.channel, group_size=event.group_size)


async def classify_complaint(event: ComplaintReceived, ctx: HandlerContext, *, classifier: Classifier) -> None:
    """Classify a received complaint, store the result with its text, publish ComplaintClassified."""
    item = input_for(event)
    result = _classification(event, item, ctx, classifier)
    codes = _codes(result)
    versions = {"model_version": classifier.model_version, "taxonomy_version": classifier.taxonomy.version}
    _store(ctx.uow.session, dict(complaint_id=event.complaint_id, **codes, **versions,
                                 classified_at=ctx.uow.clock.now(), content=item.text, language=result.language,
                                 channel=event.channel))
    await ctx.uow.publish(ComplaintClassified(complaint_id=event.complaint_id, **codes, **versions),
                          caused_by=ctx.envelope)


def _classification(event: ComplaintReceived, item: ClassifyInput, ctx: HandlerContext,
                    classifier: Classifier) -> Classification:
    """This event's result; in batch mode the whole batch is classified when its first complaint is handled."""
    if not ctx.batch:
        return classifier.classify(item)
    results = ctx.uow.session.info.get(RESULTS)
    if results is None:
        # Scoring texts together is far cheaper per text than one call each (one matrix product per language).
        received = [e for e in ctx.batch if isinstance(e, ComplaintReceived)]
        classified = classifier.classify_many([input_for(e) for e in received])
        # By identity: ctx.batch holds the very event objects the consumer hands to each handler call,
        # and two receipts of one complaint in a batch are two events with their own results.
        results = ctx.uow.session.info[RESULTS] = {id(e): r for e, r in zip(received, classified)}
    found = results.get(id(event))
    return found if found is not None else classifier.classify(item)


def _store(session: AsyncSession, row: dict) -> None:
    """Queue a classification row; the transaction's rows are written together just before COMMIT."""
    # A re-sent complaint replaces its earlier classification, within a batch as across batches.
    pending_until_commit(session, ROWS, _write_rows)[row["complaint_id"]] = row


def _write_rows(session: Session, rows: dict) -> None:
    if rows:
        session.execute(REPLACE, {"ids": list(rows)})
        session.execute(INSERT, list(rows.values()))


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
