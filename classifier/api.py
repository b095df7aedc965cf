"""Classifier's HTTP routes: a dry run that stores nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from classifier.pipeline import Classifier, ClassifyInput
from classifier.schemas import ClassifyRequest, ClassifyResult

router = APIRouter(prefix="/v1", tags=["classifier"])


def _classifier(request: Request) -> Classifier:
    return request.app.state.classifier


CurrentClassifier = Annotated[Classifier, Depends(_classifier)]


@router.post("/classify", response_model=ClassifyResult)
async def post_classify(body: ClassifyRequest, classifier: CurrentClassifier) -> ClassifyResult:
    """Classify a text and explain the result, without storing or publishing anything."""
    item = ClassifyInput(body.text, language=body.language, channel=body.channel, group_size=body.group_size)
    result = classifier.classify(item)
    return ClassifyResult(**result.as_dict(), model_version=classifier.model_version,
                          taxonomy_version=classifier.taxonomy.version)
