"""Notifier's composition root: rules, channels, consumer, relay, delivery worker and routes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from notifier import alerts, api, consumer, delivery, directory, models, people
from notifier.channels import Channels
from notifier.contacts import ContactResolver, HttpContactResolver
from notifier.people import Routing
from notifier.settings import NotifierSettings
from shared.bus import Bus
from shared.clock import Clock
from shared.metrics import NOTIFICATIONS
from shared.retry import RetryPolicy
from shared.service import Service, assemble, consumer_for, standalone_app
from shared.staff import StaffGate

NAME = "notifier"
log = structlog.get_logger()


def contact_resolver(settings: NotifierSettings) -> ContactResolver | None:
    """The HTTP resolver against intake when both its URL and key are set; None otherwise."""
    if not (settings.notifier_contact_url and settings.notifier_contact_api_key):
        return None
    return HttpContactResolver(settings.notifier_contact_url, settings.notifier_contact_api_key.get_secret_value(),
                               timeout_s=settings.notifier_contact_timeout_s)


def build(settings: NotifierSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock,
          contacts: ContactResolver | None = None) -> Service:
    """Wire the notifier."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    channels = Channels(settings, contacts=contacts or contact_resolver(settings))
    waker = delivery.Waker()
    routing = people.routing_for(settings, channels.enabled(), wake=waker.wake)
    seed = directory.read_seed(settings.notifier_directory_file) if settings.notifier_directory_file else {}
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(settings, routing)))
    service.workers.append(lambda: run_delivery(service, settings, channels=channels, routing=routing,
                                                waker=waker, seed=seed))
    service.router = api.router
    service.context = api.NotifierContext(service, routing, channels, waker, StaffGate(settings, clock))
    return service


async def run_delivery(service: Service, settings: NotifierSettings, *, channels: Channels, routing: Routing,
                       waker: delivery.Waker | None = None, seed: dict | None = None) -> None:
    """Deliver due notifications until cancelled; failures are recorded and retried later."""
    policy = RetryPolicy(max_attempts=settings.delivery_max_attempts, initial_s=settings.delivery_backoff_initial_s,
                         max_s=settings.delivery_backoff_max_s, jitter_s=settings.delivery_backoff_jitter_s)
    waker = waker or delivery.Waker()
    await _start(service, seed or {})
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if await _deliver_batch(service, settings, client, policy, channels, routing):
                    continue
            except Exception as exc:  # noqa: BLE001 - delivery must outlive outages
                log.warning("notification delivery tick failed", error=repr(exc))
            await waker.wait(settings.delivery_interval_s)


async def _start(service: Service, seed: dict) -> None:
    """Seed the staff directory (if a file is configured) and publish the disabled-subscriptions gauge."""
    async with service.unit_of_work() as uow:
        if seed:
            log.info("staff directory seeded", entries=await directory.seed(uow, seed))
        await alerts.refresh_gauge(uow)


async def _deliver_batch(service: Service, settings: NotifierSettings, client: httpx.AsyncClient, policy,
                         channels: Channels, routing: Routing) -> int:
    async with service.unit_of_work() as uow:
        due = await delivery.claim_due(uow, lease=timedelta(seconds=settings.delivery_lease_s))
    now = service.clock.now()
    results = await asyncio.gather(*(channels.deliver(client, n, now) for n in due))
    # One transaction settles the whole batch: a commit per row dominated the cost. Should it fail,
    # the rows stay leased and are sent again after the lease (receivers dedupe by Idempotency-Key).
    async with service.unit_of_work() as uow:
        for notification, result in zip(due, results):
            await delivery.settle(uow, notification, result, policy=policy,
                                  disable_after=settings.webhook_disable_after_failures,
                                  on_disabled=alerts.on_disabled(routing))
    for notification, result in zip(due, results):
        if result.defer_until is None:
            NOTIFICATIONS.labels(notification.channel, "sent" if result.ok else "failed").inc()
    return len(due)


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, NotifierSettings())
