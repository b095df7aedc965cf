"""SLA tracker's composition root: consumer, relay, deadline scheduler, refreshers and routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, every, standalone_app
from shared.staff import StaffGate
from sla_tracker import api, calendar_store, consumer, handlers, models, rollup, scheduler, telemetry
from sla_tracker.calendar import packaged_calendars
from sla_tracker.lifecycle import Rules
from sla_tracker.policies import load_book
from sla_tracker.settings import SlaSettings

NAME = "sla_tracker"
log = structlog.get_logger()


@dataclass
class SlaContext:
    """What the HTTP routes need: the service (units of work), the rules and the staff-token check."""

    service: Service
    rules: Rules
    staff: StaffGate


def build(settings: SlaSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire the SLA tracker."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    rules = Rules(book=load_book(settings.policy_file, settings.selection_file), calendars=packaged_calendars(),
                  jurisdiction=settings.jurisdiction)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(rules),
                                          batch_transactions=settings.consumer_batch_transactions))
    service.workers += [
        lambda: run_scheduler(service, rules, settings),
        lambda: every(settings.rollup_fold_interval_s, lambda: fold_rollup(service), name="sla rollup fold"),
        lambda: every(settings.calendar_refresh_s, lambda: refresh_calendars(service, rules),
                      name="sla calendar refresh"),
        lambda: every(settings.metrics_refresh_s, lambda: refresh_metrics(service), name="sla metrics refresh"),
    ]
    service.router = api.router
    service.context = SlaContext(service=service, rules=rules, staff=StaffGate(settings, clock))
    return service


async def run_scheduler(service: Service, rules: Rules, settings: SlaSettings) -> None:
    """Issue due warnings, breaches and escalations every interval; survive database hiccups."""
    while True:
        try:
            async with service.unit_of_work() as uow:
                handled = await scheduler.issue_due_alerts(uow, rules, limit=settings.scheduler_batch_size)
            if handled:
                continue  # a full batch may mean more are due: go again without sleeping
        except Exception as exc:  # noqa: BLE001 - the scheduler must keep running
            log.warning("sla scheduler tick failed", error=repr(exc))
        await asyncio.sleep(settings.scheduler_interval_s)


async def fold_rollup(service: Service) -> None:
    """Move pending rollup deltas into the rollup until none are left (one replica at a time)."""
    while True:
        async with service.unit_of_work() as uow:
            folded = await rollup.fold(uow.session)
        if folded < rollup.FOLD_BATCH:
            return


async def refresh_calendars(service: Service, rules: Rules) -> None:
    """Apply calendar imports made by `kesu calendar import` since the last look."""
    async with service.unit_of_work() as uow:
        count = await calendar_store.import_count(uow)
        if count != rules.imports_seen:
            rules.calendars = await calendar_store.load(uow)
            rules.imports_seen = count
            recomputed = await handlers.recompute_provisional(uow, rules)
            log.info("sla calendars reloaded", imports=count, provisional_clocks_recomputed=recomputed)


async def refresh_metrics(service: Service) -> None:
    """Recompute the Prometheus gauges from the clocks table."""
    async with service.unit_of_work() as uow:
        await telemetry.refresh(uow)


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, SlaSettings())
