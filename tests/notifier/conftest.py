"""Fixtures: a migrated notifier database, notifier services on it, scripted webhook receivers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from notifier import directory, handlers, models
from notifier.contacts import Contact
from notifier.api import router
from notifier.channels import Channels
from notifier.main import build, run_delivery
from notifier.schemas import DirectoryEntry
from notifier.settings import NotifierSettings
from shared import migrations
from shared.clock import SystemClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.http import install_problem_handlers
from shared.events import ComplaintClassified, ComplaintReceived, Event, envelope_for, from_message
from tests.integration.fakes import RecordingBus
from tests.notifier.receiver import ScriptedReceiver
from tests.staff_tokens import staff_headers

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
    """An HTTP client on the notifier's routes, as an admin."""
    async with client_for(notifier) as client:
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
        await handlers.handle_event(event, HandlerContext(uow, envelope), routing=service.context.routing)


@asynccontextmanager
async def delivering(service, settings: NotifierSettings | None = None, *, contacts=None):
    """Run a delivery worker for the block: the service's own, or one with other settings."""
    if settings is None:
        [own] = service.workers
        worker = own()
    else:
        channels = Channels(settings, contacts=contacts or service.context.channels.contacts)
        worker = run_delivery(service, settings, channels=channels, routing=service.context.routing)
    task = asyncio.create_task(worker)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def eventually(probe, timeout_s: float = 30.0):
    """Poll an async probe until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await probe()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.02)


def received(complaint_id: str, *, branch: str | None = "B001", language: str = "zh",
             reference: str = "KS-2026-000001") -> ComplaintReceived:
    """A received complaint."""
    return ComplaintReceived(complaint_id=complaint_id, reference=reference, channel="web", language=language,
                             received_at=datetime.now(timezone.utc), content="扣费有误", branch_code=branch)


def classified(complaint_id: str, *, severity: str = "high", business_line: str = "cards",
               flags: tuple[str, ...] = ()) -> ComplaintClassified:
    """A classified complaint."""
    return ComplaintClassified(complaint_id=complaint_id, business_line=business_line, cause="fees",
                               emotion="angry", severity=severity, complexity="simple", flags=list(flags),
                               model_version="m1", taxonomy_version="t1")


@pytest.fixture
def make_notifier(engine, settings_for):
    """Build a notifier with setting overrides, a clock and a contact resolver of the test's choosing."""
    def make(clock=None, contacts=None, **overrides):
        return build(settings_for(**overrides), engine=engine, bus=RecordingBus(), clock=clock or SystemClock(),
                     contacts=contacts)
    return make


@asynccontextmanager
async def client_for(service, role: str | None = "admin", **token):
    """An HTTP client on the notifier routes of one service, as staff of ``role`` (None: no token)."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.notifier = service.context
    headers = staff_headers(role, **token) if role else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kesu",
                                 headers=headers) as client:
        yield client


@dataclass
class StaticContacts:
    """A contact resolver from a table (the HTTP one is tested against a real intake)."""

    table: dict = field(default_factory=dict)

    async def contact(self, complaint_id: str) -> Contact | None:
        return self.table.get(complaint_id)


STAFF = {
    "officer.ho": dict(display_name="总行投诉专员", role="complaint_officer", org_code="HO", email="officer@bank.example"),
    "head.b001": dict(display_name="B001 行长", role="branch_head", org_code="B001", email="head@bank.example",
                      language="en"),
    "lead.b001": dict(display_name="B001 组长", role="team_lead", org_code="B001", email="lead@bank.example"),
    "handler.li": dict(display_name="李经办", role="handler", org_code="B001", email="li@bank.example"),
    "duty.ho": dict(display_name="值班员", role="complaint_officer", org_code="HO", phone="13900001111",
                    email="duty@bank.example", on_duty=True),
}


async def seed_staff(service, entries: dict | None = None) -> None:
    """Put staff into the directory."""
    async with service.unit_of_work() as uow:
        for username, entry in (entries or STAFF).items():
            await directory.put(uow, username, DirectoryEntry(**entry))


async def published(service) -> list[Event]:
    """Events the notifier wrote to its outbox, oldest first."""
    async with service.unit_of_work() as uow:
        rows = (await uow.session.execute(select(models.outbox).order_by(models.outbox.c.id))).all()
    return [from_message([(k, v.encode()) for k, v in r.headers], r.payload).event() for r in rows]
