"""What a service is made of, and the app/lifespan that runs one or several of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.asyncapi import document
from shared.bus import Bus, TopicSpec
from shared.clock import Clock, SystemClock
from shared.config import TOPIC_NAMES, CommonSettings
from shared.consumer import Consumer, Routes, dlq_topic
from shared.db import create_engine, session_factory
from shared.logging import configure_logging
from shared.http import install_operational_routes, install_problem_handlers
from shared.outbox import OutboxRelay
from shared.retry import RetryPolicy
from shared.uow import UnitOfWork

log = structlog.get_logger()
Worker = Callable[[], Awaitable[None]]


@dataclass
class Service:
    """One service assembled: its storage, relay, consumers, background workers and routes."""

    name: str
    engine: AsyncEngine
    relay: OutboxRelay
    unit_of_work: Callable[[], UnitOfWork]
    clock: Clock
    consumers: list[Consumer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    router: APIRouter | None = None
    context: object | None = None


def assemble(
    *,
    name: str,
    settings: CommonSettings,
    engine: AsyncEngine,
    bus: Bus,
    clock: Clock,
    outbox,
    inbox,
) -> Service:
    """The parts every service has: a relay for its outbox and a unit-of-work factory."""
    relay = OutboxRelay(
        service=name,
        engine=engine,
        table=outbox,
        bus=bus,
        clock=clock,
        batch_size=settings.relay_batch_size,
        interval_s=settings.relay_interval_s,
        linger_s=settings.relay_linger_ms / 1000,
        retention=timedelta(hours=settings.outbox_retention_hours),
    )
    sessions = session_factory(engine)

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(
            sessions, source=f"kesu/{name}", outbox=outbox, inbox=inbox,
            topic_for=settings.topic, clock=clock, on_commit=relay.wake,
        )

    return Service(name=name, engine=engine, relay=relay, unit_of_work=unit_of_work, clock=clock)


async def every(interval_s: float, job: Callable[[], Awaitable[object]], *, name: str) -> None:
    """Run a background job now and then every interval until cancelled; a failure waits for the next turn."""
    while True:
        try:
            await job()
        except Exception as exc:  # noqa: BLE001 - background jobs must outlive database outages
            log.warning("background job failed", job=name, error=repr(exc))
        await asyncio.sleep(interval_s)


def consumer_for(service: Service, settings: CommonSettings, bus: Bus, streams: list[str], routes: Routes, *,
                 batch_transactions: bool = False) -> Consumer:
    """A consumer group named after the prefix and service (environments sharing Kafka never mix)."""
    return Consumer(
        name=f"{settings.topic_prefix}{service.name}",
        bus=bus,
        topics=[settings.topic(stream) for stream in streams],
        routes=routes,
        unit_of_work=service.unit_of_work,
        retry=RetryPolicy(
            max_attempts=settings.consumer_max_attempts,
            initial_s=settings.consumer_backoff_initial_s,
            max_s=settings.consumer_backoff_max_s,
        ),
        batch_size=settings.consumer_batch_size,
        batch_transactions=batch_transactions,
    )


def topic_specs(settings: CommonSettings) -> list[TopicSpec]:
    """Every Kesu topic and its dead-letter twin, as ``kesu topics ensure`` creates them."""
    specs: list[TopicSpec] = []
    for stream in TOPIC_NAMES:
        name = settings.topic(stream)
        specs.append(TopicSpec(name, settings.topic_partitions, settings.topic_replication_factor,
                               {"retention.ms": str(settings.topic_retention_ms)}))
        specs.append(TopicSpec(dlq_topic(name), 1, settings.topic_replication_factor,
                               {"retention.ms": str(settings.dlq_retention_ms)}))
    return specs


class Runtime:
    """Starts and stops the bus and every service's relay, consumers and workers."""

    def __init__(self, services: list[Service], bus: Bus, engines: list[AsyncEngine]) -> None:
        self.services = services
        self.bus = bus
        self.engines = engines
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        """Start the bus, then every loop as its own task."""
        await self.bus.start()
        for service in self.services:
            self._spawn(f"{service.name}-relay", service.relay.run)
            for consumer in service.consumers:
                self._spawn(consumer.name, consumer.run)
            for index, worker in enumerate(service.workers):
                self._spawn(f"{service.name}-worker-{index}", worker)

    def _spawn(self, name: str, loop: Worker) -> None:
        task = asyncio.create_task(loop(), name=name)
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    async def stop(self) -> None:
        """Let consumers finish their batch, cancel the rest, flush the relays, close everything."""
        for service in self.services:
            for consumer in service.consumers:
                await consumer.stop()
        consumer_tasks = self._consumer_tasks()
        if consumer_tasks:
            await asyncio.wait(consumer_tasks, timeout=10)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.stop()
        for engine in self.engines:
            await engine.dispose()

    def _consumer_tasks(self) -> set[asyncio.Task]:
        names = {c.name for s in self.services for c in s.consumers}
        return {t for t in self._tasks if t.get_name() in names}

    async def readiness(self) -> str | None:
        """None when every database answers and every loop is alive; else what is wrong."""
        for engine in self.engines:
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
                return f"database unreachable: {exc!r}"
        dead = [t.get_name() for t in self._tasks if t.done()]
        return f"stopped loops: {', '.join(dead)}" if dead else None


def _report_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception():
        log.error("background loop crashed", task=task.get_name(), error=repr(task.exception()))


def build_app(runtime: Runtime, *, title: str, migrate: Callable[[], Awaitable[None]] | None = None) -> FastAPI:
    """A FastAPI app serving every service's routes, with the runtime in its lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await migrate()
        await runtime.start()
        yield
        await runtime.stop()

    app = FastAPI(title=title, version="1", lifespan=lifespan, docs_url="/docs")
    install_problem_handlers(app)
    install_operational_routes(app, [runtime.readiness])

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI 3 document of every event")
    async def asyncapi_document() -> dict:
        return document()

    for service in runtime.services:
        setattr(app.state, service.name, service.context)
        if service.router is not None:
            app.include_router(service.router)
    return app


def make_bus(settings: CommonSettings) -> Bus:
    """The bus the settings ask for: Kafka, or the in-process bus under the data directory."""
    if settings.bus == "kafka":
        from shared.bus.kafka import KafkaBus

        return KafkaBus(settings)
    from shared.bus.memory import InProcessBus

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return InProcessBus(settings.bus_database_url(), default_partitions=settings.topic_partitions)


def standalone_app(name: str, build: Callable[..., Service], settings: CommonSettings) -> FastAPI:
    """An ASGI app running one service against the database and bus its settings name."""
    configure_logging(level=settings.log_level, fmt=settings.log_format, service=name)
    engine = create_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size)
    bus = make_bus(settings)
    service = build(settings, engine=engine, bus=bus, clock=SystemClock())
    return build_app(Runtime([service], bus, [engine]), title=f"Kesu {name}")
