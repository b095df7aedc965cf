"""Classifier's HTTP routes: a dry run that stores nothing."""

from __future__ import annotations

from fastapi import APIRouter

from classifier.rules import MODEL_VERSION, classify
from classifier.schemas import ClassifyRequest, ClassifyResult

router = APIRouter(prefix="/v1", tags=["classifier"])


@router.post("/classify", response_model=ClassifyResult)
async def post_classify(body: ClassifyRequest) -> ClassifyResult:
    """Classify a text and explain the result, without storing or publishing anything."""
    result = classify(body.text)
    return ClassifyResult(**result.__dict__, needs_review=result.needs_review, model_version=MODEL_VERSION)
