"""Fixtures: a migrated notifier database, notifier services on it, scripted webhook receivers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import httpx
import pytest
from fastapi import FastAPI

from notifier import handlers
from notifier.api import router
from notifier.main import build, run_delivery
from notifier.settings import NotifierSettings
from shared import migrations
from shared.clock import SystemClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.events import ComplaintClassified, ComplaintReceived, Event, envelope_for
from tests.integration.fakes import RecordingBus
from tests.notifier.receiver import ScriptedReceiver

# Small, jitter-free backoff so the schedule is exact and the tests fast.
FAST = dict(delivery_interval_s=0.02, delivery_backoff_initial_s=0.1, delivery_backoff_max_s=5.0,
            delivery_backoff_jitter_s=0.0, webhook_timeout_s=0.3, delivery_max_attempts=6)


@pytest.fixture
async def engine(database_url):
    """An engine on a database with the notifier's migrations applied."""
    engine = create_engine(database_url)
    await migrations.upgrade(engine, "notifier")
    yield engine
    await engine.dispose()


@pytest.fixture
def settings_for(database_url) -> Callable[..., NotifierSettings]:
    """Notifier settings with fast delivery, overridable per test."""
    return lambda **overrides: NotifierSettings(database_url=database_url, **{**FAST, **overrides})


@pytest.fixture
def notifier(engine, settings_for):
    """A notifier service (not started) on the test database."""
    return build(settings_for(), engine=engine, bus=RecordingBus(), clock=SystemClock())


@pytest.fixture
async def api(notifier):
    """An HTTP client on the notifier's routes."""
    app = FastAPI()
    app.include_router(router)
    app.state.notifier = notifier
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kesu") as client:
        yield client


@pytest.fixture
def receiver():
    """A receiver that answers 204 unless a test scripts failures."""
    receiver = ScriptedReceiver()
    yield receiver
    receiver.close()


async def deliver(service, event: Event, envelope=None) -> None:
    """Hand one event to the notifier as its consumer would (envelope reusable to redeliver it)."""
    envelope = envelope or envelope_for(event, source="kesu/test", time=datetime.now(timezone.utc))
    async with service.unit_of_work() as uow:
        await handlers.handle_event(event, HandlerContext(uow, envelope), ack_webhook_url=None)


@asynccontextmanager
async def delivering(service, settings: NotifierSettings):
    """Run the delivery worker for the duration of the block."""
    task = asyncio.create_task(run_delivery(service, settings))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def eventually(probe, timeout_s: float = 10.0):
    """Poll an async probe until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await probe()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.02)


def received(complaint_id: str, *, branch: str | None = "B001") -> ComplaintReceived:
    """A received complaint."""
    return ComplaintReceived(complaint_id=complaint_id, reference="KS-2026-000001", channel="web",
                             received_at=datetime.now(timezone.utc), content="扣费有误", branch_code=branch)


def classified(complaint_id: str, *, severity: str = "high", business_line: str = "cards") -> ComplaintClassified:
    """A classified complaint."""
    return ComplaintClassified(complaint_id=complaint_id, business_line=business_line, cause="fees",
                               emotion="angry", severity=severity, complexity="simple",
                               model_version="m1", taxonomy_version="t1")
