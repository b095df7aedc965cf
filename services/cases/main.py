"""The cases service's composition root: consumer, relay, look-back worker and the staff API."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cases import api, consumer, lookback, models
from services.cases.assignment import AssignmentRules, load_rules
from services.cases.settings import CasesSettings
from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, every, standalone_app
from shared.uow import UnitOfWork

NAME = "cases"
log = structlog.get_logger()


@dataclass
class CasesContext:
    """What the routes reach through ``request.app.state.cases``."""

    service: Service
    settings: CasesSettings
    rules: AssignmentRules

    @property
    def clock(self) -> Clock:
        """The service's clock (settable in tests)."""
        return self.service.clock

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on the service's database."""
        return self.service.unit_of_work()


def build(settings: CasesSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire the cases service."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    rules = load_rules(settings.assignment_file)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(settings, rules)))
    service.workers.append(lambda: every(settings.lookback_interval_s, lambda: lookback_pass(service, settings),
                                         name="cases look-back"))
    service.router = api.service_router()
    service.context = CasesContext(service=service, settings=settings, rules=rules)
    return service


async def lookback_pass(service: Service, settings: CasesSettings) -> int:
    """Check every due look-back now, batch by batch; returns how many cases were checked."""
    checked = 0
    while True:
        async with service.unit_of_work() as uow:
            done = await lookback.run_due(uow, limit=settings.lookback_batch_size)
        checked += done
        if done < settings.lookback_batch_size:
            return checked


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, CasesSettings())
