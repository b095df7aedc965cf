"""Notifier's composition root: consumer, relay, delivery worker and routes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from notifier import api, consumer, handlers, models, rules
from notifier.settings import NotifierSettings
from notifier.webhook import post_webhook
from shared.bus import Bus
from shared.clock import Clock
from shared.metrics import NOTIFICATIONS
from shared.retry import RetryPolicy
from shared.service import Service, assemble, consumer_for, standalone_app

NAME = "notifier"
log = structlog.get_logger()


def build(settings: NotifierSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire the notifier."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.routes(settings)))
    service.workers.append(lambda: run_delivery(service, settings))
    service.router = api.router
    service.context = service
    return service


async def run_delivery(service: Service, settings: NotifierSettings) -> None:
    """Deliver due notifications until cancelled; failures are recorded and retried later."""
    policy = RetryPolicy(max_attempts=settings.delivery_max_attempts, initial_s=settings.delivery_backoff_initial_s,
                         max_s=settings.delivery_backoff_max_s, jitter_s=settings.delivery_backoff_jitter_s)
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if await _deliver_batch(service, settings, client, policy):
                    continue
            except Exception as exc:  # noqa: BLE001 - delivery must outlive outages
                log.warning("notification delivery tick failed", error=repr(exc))
            await asyncio.sleep(settings.delivery_interval_s)


async def _deliver_batch(service: Service, settings: NotifierSettings, client: httpx.AsyncClient, policy) -> int:
    async with service.unit_of_work() as uow:
        due = await handlers.claim_due(uow, lease=timedelta(seconds=settings.delivery_lease_s))
    now = service.clock.now()
    results = await asyncio.gather(*(
        post_webhook(client, n.webhook_url or n.recipient, n.body, secrets=_secrets(n, settings, now),
                     idempotency_key=n.id, timeout_s=settings.webhook_timeout_s)
        for n in due
    ))
    # One transaction settles the whole batch: a commit per row dominated the cost. Should it fail,
    # the rows stay leased and are sent again after the lease (receivers dedupe by Idempotency-Key).
    async with service.unit_of_work() as uow:
        for notification, result in zip(due, results):
            await handlers.settle(uow, notification, result, policy=policy,
                                  disable_after=settings.webhook_disable_after_failures)
    for notification, result in zip(due, results):
        NOTIFICATIONS.labels(notification.channel, "sent" if result.ok else "failed").inc()
    return len(due)


def _secrets(notification, settings: NotifierSettings, now: datetime) -> list[bytes]:
    """A subscription signs with its own secret(s); the acknowledgement URL with the configured one."""
    if notification.subscription_id is None:
        return [settings.webhook_secret.get_secret_value().encode()]
    return [s.encode() for s in rules.signing_secrets(notification._mapping, now)]


def create_app() -> FastAPI:
    """ASGI factory for uvicorn."""
    return standalone_app(NAME, build, NotifierSettings())
