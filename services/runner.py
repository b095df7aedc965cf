"""Compose services into processes: all in one (``kesu up``) or one per process (``kesu run``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from classifier.main import build as build_classifier
from classifier.settings import ClassifierSettings
from intake.main import build as build_intake
from intake.settings import IntakeSettings
from notifier.main import build as build_notifier
from notifier.settings import NotifierSettings
from services.cases.main import build as build_cases
from services.cases.settings import CasesSettings
from shared import migrations
from shared.clock import Clock, SystemClock
from shared.config import CommonSettings
from shared.db import create_engine
from shared.logging import configure_logging
from shared.service import Runtime, Service, build_app, make_bus, standalone_app, topic_specs
from sla_tracker.main import build as build_sla
from sla_tracker.settings import SlaSettings


@dataclass(frozen=True)
class ServiceEntry:
    """How to build one service and read its settings."""

    build: Callable[..., Service]
    settings: type[CommonSettings]


SERVICES: dict[str, ServiceEntry] = {
    "intake": ServiceEntry(build_intake, IntakeSettings),
    "classifier": ServiceEntry(build_classifier, ClassifierSettings),
    "sla_tracker": ServiceEntry(build_sla, SlaSettings),
    "notifier": ServiceEntry(build_notifier, NotifierSettings),
    "cases": ServiceEntry(build_cases, CasesSettings),
}


def embedded_overrides(data_dir: Path | None) -> dict:
    """Settings that make a process the embedded default: SQLite file, in-process bus."""
    overrides: dict = {"bus": "memory", "database_url": None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return overrides


def settings_for(name: str, **overrides) -> CommonSettings:
    """A service's settings from the environment, with explicit overrides on top."""
    return SERVICES[name].settings(**overrides)


def embedded_app(data_dir: Path | None = None, *, clock: Clock | None = None, **overrides) -> FastAPI:
    """Every service in this process on one SQLite file and the in-process bus; migrates on start."""
    all_settings = {name: settings_for(name, **embedded_overrides(data_dir), **overrides) for name in SERVICES}
    common = all_settings["intake"]
    configure_logging(level=common.log_level, fmt=common.log_format, service="kesu-up")
    common.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(common.resolved_database_url())
    bus = make_bus(common)
    clock = clock or SystemClock()
    services = [SERVICES[n].build(s, engine=engine, bus=bus, clock=clock) for n, s in all_settings.items()]
    runtime = Runtime(services, bus, [engine])

    async def migrate_and_create_topics() -> None:
        for name in SERVICES:
            await migrations.upgrade(engine, name)
        await bus.start()
        await bus.ensure_topics(topic_specs(common))

    return build_app(runtime, title="Kesu", migrate=migrate_and_create_topics)


def service_app(name: str, **overrides) -> FastAPI:
    """One service in this process, against the database and bus from its settings."""
    entry = SERVICES[name]
    return standalone_app(name, entry.build, entry.settings(**overrides))


async def migrate(names: list[str], **overrides) -> list[str]:
    """Apply each named service's migrations to its own database; returns what was migrated."""
    done = []
    for name in names:
        settings = settings_for(name, **overrides)
        engine = create_engine(settings.resolved_database_url())
        try:
            await migrations.upgrade(engine, name)
        finally:
            await engine.dispose()
        done.append(f"{name} -> {settings.resolved_database_url().split('@')[-1]}")
    return done


async def ensure_topics(**overrides) -> list[str]:
    """Create every topic and DLQ twin the settings describe."""
    settings = settings_for("intake", **overrides)
    bus = make_bus(settings)
    await bus.start()
    try:
        return await bus.ensure_topics(topic_specs(settings))
    finally:
        await bus.stop()


async def create_api_key(
    channels: list[str], label: str | None, *, rate_limit_per_s: float | None = None,
    scopes: list[str] | None = None, **overrides,
) -> str:
    """Issue a channel API key in intake's database."""
    from intake import keys
    from intake.schemas import Channel

    unknown = set(channels) - {c.value for c in Channel}
    if unknown:
        raise ValueError(f"unknown channel(s): {', '.join(sorted(unknown))}")
    settings = settings_for("intake", **overrides)
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrations.upgrade(engine, "intake")
        service = build_intake(settings, engine=engine, bus=make_bus(settings), clock=SystemClock())
        async with service.unit_of_work() as uow:
            return await keys.create_api_key(uow, channels=channels, label=label,
                                             rate_limit_per_s=rate_limit_per_s, scopes=scopes)
    finally:
        await engine.dispose()


async def _with_bus(action, **overrides):
    settings = settings_for("intake", **overrides)
    bus = make_bus(settings)
    await bus.start()
    try:
        return await action(bus, settings)
    finally:
        await bus.stop()


async def dlq_entries(stream: str | None, limit: int, **overrides) -> list[dict]:
    """Dead-lettered messages of one stream or all."""
    from shared import dlq
    from shared.config import TOPIC_NAMES

    streams = [stream] if stream else list(TOPIC_NAMES)
    return await _with_bus(lambda bus, s: dlq.entries(bus, [s.topic(n) for n in streams], limit), **overrides)


async def dlq_replay(stream: str, limit: int, **overrides) -> int:
    """Republish a stream's dead-lettered messages to it."""
    from shared import dlq

    return await _with_bus(lambda bus, s: dlq.replay(bus, s.topic(stream), limit), **overrides)
