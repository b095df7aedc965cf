"""SLA tracker's composition root: consumer, relay, deadline scheduler and routes."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, standalone_app
from sla_tracker import api, consumer, handlers, models
from sla_tracker.settings import SlaSettings

NAME = "sla_tracker"
log = structlog.get_logger()


def build(settings: SlaSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire the SLA tracker."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(settings)))
    service.workers.append(lambda: run_scheduler(service, settings))
    service.router = api.router
    service.context = service
    return service


async def run_scheduler(service: Service, settings: SlaSettings) -> None:
    """Issue due warnings and breaches every interval; survive database hiccups."""
    while True:
        try:
            async with service.unit_of_work() as uow:
                handled = await handlers.issue_due_alerts(uow, levels=settings.warning_levels)
            if handled:
                continue
        except Exception as exc:  # noqa: BLE001 - the scheduler must keep running
            log.warning("sla scheduler tick failed", error=repr(exc))
        await asyncio.sleep(settings.scheduler_interval_s)


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, SlaSettings())
