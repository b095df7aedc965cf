"""Classifier's routing table."""

from __future__ import annotations

from collections.abc import Callable

from classifier import handlers
from classifier.pipeline import Classifier
from shared.consumer import Routes
from shared.events import ComplaintReceived, ComplaintReclassified

STREAMS = ["complaint-events", "case-events"]


def routes(classifier: Classifier | Callable[[], Classifier]) -> Routes:
    """The routing table with a classifier (or a provider that loads one on first use)."""

    async def classify(event, ctx) -> None:
        engine = classifier if isinstance(classifier, Classifier) else classifier()
        await handlers.classify_complaint(event, ctx, classifier=engine)

    return {ComplaintReceived: classify, ComplaintReclassified: handlers.record_correction}


def _default_classifier() -> Classifier:
    from classifier.loading import load_classifier
    from classifier.settings import ClassifierSettings

    return load_classifier(ClassifierSettings())


ROUTES: Routes = routes(_default_classifier)
