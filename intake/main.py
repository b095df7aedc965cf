"""Intake's composition root: settings -> engine -> bus -> app and consumer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from intake import api, consumer, duplicates, guards, handlers, housekeeping, models
from intake.groupcommit import GroupCommit
from intake.ratelimit import RateLimiter
from intake.settings import IntakeSettings
from intake.vault import Vault, parse_keys
from shared.bus import Bus
from shared.clock import Clock
from shared.service import Service, assemble, consumer_for, every, standalone_app

NAME = "intake"


def vault_from(settings: IntakeSettings) -> Vault:
    """The vault with every configured key; new values are sealed with the active one."""
    keys = parse_keys({key_id: secret.get_secret_value() for key_id, secret in settings.vault_keys.items()})
    return Vault(keys, settings.vault_active_key)


def policy_from(settings: IntakeSettings) -> duplicates.Policy:
    """The duplicate-linking policy from settings."""
    return duplicates.Policy(threshold=settings.duplicate_threshold,
                             window=timedelta(days=settings.duplicate_window_days))


def build(settings: IntakeSettings, *, engine: AsyncEngine, bus: Bus, clock: Clock) -> Service:
    """Wire intake's routes, relay and consumer."""
    service = assemble(name=NAME, settings=settings, engine=engine, bus=bus, clock=clock,
                       outbox=models.outbox, inbox=models.inbox)
    service.consumers.append(consumer_for(service, settings, bus, consumer.STREAMS, consumer.ROUTES))
    service.workers.append(lambda: every(settings.idempotency_purge_interval_s,
                                         lambda: housekeeping.purge_until_done(service, settings),
                                         name="intake idempotency purge"))
    service.router = api.router
    policy = policy_from(settings)
    service.context = api.IntakeContext(
        service=service, settings=settings, vault=vault_from(settings),
        keys=guards.KeyCache(service, settings.api_key_cache_s),
        limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst_s),
        policy=policy, writer=group_commit(service, settings, policy),
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
    )
    return service


def group_commit(service: Service, settings: IntakeSettings, policy: duplicates.Policy) -> GroupCommit:
    """The queue through which concurrent POSTs share transactions (see intake/groupcommit.py)."""

    async def write(items: list[handlers.Prepared]) -> list[handlers.Accepted | None]:
        async with service.unit_of_work() as uow:
            return await handlers.receive_batch(uow, items, timezone=settings.timezone, policy=policy)

    return GroupCommit(write, max_items=settings.group_commit_max_items)


def create_app() -> FastAPI:
    """ASGI factory for uvicorn: ``uvicorn --factory intake.main:create_app``."""
    return standalone_app(NAME, build, IntakeSettings())
