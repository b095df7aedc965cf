"""Classifier use cases."""

from __future__ import annotations

from sqlalchemy import insert

from classifier.models import classifications
from classifier.rules import MODEL_VERSION, TAXONOMY_VERSION, classify
from shared.consumer import HandlerContext
from shared.events import ComplaintClassified, ComplaintReceived


async def classify_complaint(event: ComplaintReceived, ctx: HandlerContext) -> None:
    """Classify a received complaint, store the result and publish ComplaintClassified."""
    text = f"{event.subject or ''}\n{event.product_hint or ''}\n{event.content}"
    result = classify(text)
    await ctx.uow.session.execute(
        insert(classifications).values(
            complaint_id=event.complaint_id, business_line=result.business_line, cause=result.cause,
            flags=result.flags, emotion=result.emotion, severity=result.severity,
            complexity=result.complexity, confidence=result.confidence, explanation=result.explanation,
            needs_review=result.needs_review, model_version=MODEL_VERSION,
            taxonomy_version=TAXONOMY_VERSION, classified_at=ctx.uow.clock.now(),
        )
    )
    await ctx.uow.publish(
        ComplaintClassified(
            complaint_id=event.complaint_id, business_line=result.business_line, cause=result.cause,
            flags=result.flags, emotion=result.emotion, severity=result.severity,
            complexity=result.complexity, confidence=result.confidence, model_version=MODEL_VERSION,
            taxonomy_version=TAXONOMY_VERSION, explanation=result.explanation,
            needs_review=result.needs_review,
        ),
        caused_by=ctx.envelope,
    )
