"""Classifier's composition root."""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from classifier import api, consumer, models
from classifier.loading import load_classifier
from classifier.settings import ClassifierSettings
from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, standalone_app
from shared.staff import StaffGate

NAME = "classifier"
log = structlog.get_logger()


def build(settings: ClassifierSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire the classifier's model, consumer, relay and dry-run route."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    classifier = load_classifier(settings)
    log.info("classifier model loaded", model_version=classifier.model_version,
             taxonomy_version=classifier.taxonomy.version)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(classifier),
                                          batch_transactions=settings.consumer_batch_transactions))
    service.router = api.router
    service.context = api.ClassifierContext(classifier, StaffGate(settings, clock))
    return service


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, ClassifierSettings())
