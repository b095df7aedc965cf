"""Intake's composition root: settings -> engine -> bus -> app and consumer."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from intake import api, consumer, models
from intake.settings import IntakeSettings
from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, standalone_app

NAME = "intake"


def build(settings: IntakeSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire intake's routes, relay and consumer."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.ROUTES))
    service.router = api.router
    service.context = api.IntakeContext(service=service, settings=settings)
    return service


def create_app() -> FastAPI:
    """ASGI factory for uvicorn: ``uvicorn --factory intake.main:create_app``."""
    return standalone_app(NAME, build, IntakeSettings())
