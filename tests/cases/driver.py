"""Drives the cases service: delivers upstream events as its consumer does, calls its HTTP API as staff."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.cases.main import build
from services.cases.models import audit_log, outbox
from shared import migrations
from shared.clock import FrozenClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.events import EVENT_TYPES, ComplaintClassified, ComplaintReceived, Event, Money, envelope_for
from shared.http import install_problem_handlers
from tests.cases.staff_fixtures import T0, bearer, make_org_tree, make_user, staff_settings
from tests.integration.fakes import RecordingBus

# username -> (role, org, team)
STAFF = {
    "han.bj": ("handler", "BJ01", "bj-cards"),
    "han.bj2": ("handler", "BJ01", "bj-cards"),
    "han.sh": ("handler", "SH01", "sh-general"),
    "lead.bj": ("team_lead", "BJ", "bj-cards"),
    "head.bj": ("branch_head", "BJ", None),
    "officer": ("complaint_officer", "HO", "ho-priority"),
    "auditor": ("auditor", "HO", None),
    "admin": ("admin", "HO", None),
}


@dataclass
class CasesEnv:
    """The service on a migrated database with the org tree and staff, a frozen clock and a client."""

    context: object
    clock: FrozenClock
    client: httpx.AsyncClient
    principals: dict = field(default_factory=dict)

    @property
    def settings(self):
        """The service's settings."""
        return self.context.settings

    def auth(self, username: str) -> dict[str, str]:
        """A bearer header for one of the staff."""
        return bearer(self.principals[username], self.settings, self.clock.now())

    async def deliver(self, event: Event, *, source: str = "kesu/test") -> None:
        """Handle one event in its own unit of work, exactly as the consumer does."""
        routes = self.context.service.consumers[0]._routes
        async with self.context.unit_of_work() as uow:
            envelope = envelope_for(event, source=source, time=self.clock.now())
            await routes[event.type](event, HandlerContext(uow=uow, envelope=envelope))

    async def receive(self, *, branch: str = "BJ01", content: str = "信用卡年费被乱收，要求退还",
                      amount: str | None = None, complainant_ref: str | None = None, **fields) -> str:
        """Deliver a ComplaintReceived; returns the new case id."""
        complaint_id = fields.pop("complaint_id", None) or str(uuid.uuid4())
        money = Money(value=Decimal(amount), currency="CNY") if amount else None
        await self.deliver(ComplaintReceived(
            complaint_id=complaint_id, reference=f"KS-{complaint_id[:8]}", channel=fields.pop("channel", "mobile_app"),
            received_at=fields.pop("received_at", self.clock.now()), content=content, branch_code=branch,
            amount_disputed=money, complainant_ref=complainant_ref, **fields))
        return complaint_id

    async def classify(self, complaint_id: str, *, business_line: str = "credit_card", severity: str = "medium",
                       flags: tuple[str, ...] = (), complexity: str = "simple") -> None:
        """Deliver a ComplaintClassified."""
        await self.deliver(ComplaintClassified(
            complaint_id=complaint_id, business_line=business_line, cause="pricing_fees", flags=list(flags),
            emotion="dissatisfied", severity=severity, complexity=complexity, model_version="m1",
            taxonomy_version="t1"))

    async def post(self, path: str, user: str | None, body: dict | None = None) -> httpx.Response:
        """POST as one of the staff (or anonymously)."""
        return await self.client.post(path, json=body, headers=self.auth(user) if user else {})

    async def get(self, path: str, user: str, **params) -> httpx.Response:
        """GET as one of the staff."""
        return await self.client.get(path, params=params, headers=self.auth(user))

    async def case(self, case_id: str, user: str = "officer") -> dict:
        """The case detail as the complaint officer sees it."""
        response = await self.get(f"/v1/cases/{case_id}", user)
        assert response.status_code == 200, response.text
        return response.json()

    async def force_status(self, case_id: str, *path: str) -> None:
        """Walk a case through transitions as the complaint officer."""
        for status in path:
            response = await self.post(f"/v1/cases/{case_id}:transition", "officer", {"to": status})
            assert response.status_code == 200, response.text

    async def published(self, *types: type[Event]) -> list[Event]:
        """Events in the outbox, oldest first, optionally only some types."""
        async with self.context.service.engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.headers, outbox.c.payload).order_by(outbox.c.id))).all()
        events = [EVENT_TYPES[dict(h)["ce_type"]].model_validate_json(p) for h, p in rows]
        return [e for e in events if not types or isinstance(e, types)]

    async def audit(self, subject_id: str) -> list[tuple[str, str]]:
        """(actor, action) of every audit record about a case, in order."""
        async with self.context.service.engine.connect() as conn:
            rows = (await conn.execute(select(audit_log.c.actor, audit_log.c.action)
                                       .where(audit_log.c.subject_id == subject_id).order_by(audit_log.c.seq))).all()
        return [tuple(r) for r in rows]

    def advance(self, **delta) -> None:
        """Move the clock forward."""
        self.clock.advance(timedelta(**delta))


@asynccontextmanager
async def cases_env(database_url: str, data_dir: Path, *, start: datetime = T0, **overrides):
    """A CasesEnv; the app serves the service's own router."""
    engine = create_engine(database_url)
    try:
        await migrations.upgrade(engine, "cases")
        clock = FrozenClock(start)
        service = build(staff_settings(database_url, data_dir, **overrides), engine=engine, bus=RecordingBus(),
                        clock=clock)
        context = service.context
        principals = {}
        async with context.unit_of_work() as uow:
            await make_org_tree(uow.session, clock.now())
            for username, (role, org, team) in STAFF.items():
                principals[username] = await make_user(uow.session, username, role, org, team=team, now=clock.now())
        app = FastAPI()
        install_problem_handlers(app)
        app.include_router(service.router)
        app.state.cases = context
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cases") as client:
            yield CasesEnv(context, clock, client, principals)
    finally:
        await engine.dispose()
