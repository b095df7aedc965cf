"""Classifier's HTTP routes: a dry run that stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from classifier.pipeline import Classifier, ClassifyInput
from classifier.schemas import ClassifyRequest, ClassifyResult
from shared.staff import Principal, StaffGate, staff_with

router = APIRouter(prefix="/v1", tags=["classifier"])


@dataclass(frozen=True)
class ClassifierContext:
    """What the route needs: the loaded model and the staff-token check."""

    classifier: Classifier
    staff: StaffGate


def _context(request: Request) -> ClassifierContext:
    return request.app.state.classifier


Context = Annotated[ClassifierContext, Depends(_context)]
Trier = Annotated[Principal, Depends(staff_with("classify:try", lambda request: _context(request).staff))]


@router.post("/classify", response_model=ClassifyResult)
async def post_classify(body: ClassifyRequest, ctx: Context, _principal: Trier) -> ClassifyResult:
    """Classify a text and explain the result, without storing or publishing anything (staff with classify:try)."""
    classifier = ctx.classifier
    item = ClassifyInput(body.text, language=body.language, channel=body.channel, group_size=body.group_size)
    result = classifier.classify(item)
    return ClassifyResult(**result.as_dict(), model_version=classifier.model_version,
                          taxonomy_version=classifier.taxonomy.version)
