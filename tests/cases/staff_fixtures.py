"""Staff helpers for the cases tests: an org tree, users of any role, bearer headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher, Type
from fastapi import FastAPI

from services.cases import auth_api, orgs, tokens, users
from services.cases.main import build
from services.cases.security import Principal, Role
from services.cases.settings import CasesSettings
from shared import migrations
from shared.clock import FrozenClock
from shared.db import create_engine
from shared.http import install_problem_handlers
from tests.integration.fakes import RecordingBus

# Cheap argon2id parameters: tests create many users. The CLI tests run with the default (production) cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1}
TEST_JWT_SECRET = "kesu-tests-jwt-secret-0123456789abcdef"

# (code, name, kind, parent)
ORG_TREE = (
    ("HO", "总行", "head_office", None),
    ("BJ", "北京分行", "branch", "HO"),
    ("BJ01", "北京朝阳支行", "sub_branch", "BJ"),
    ("SH", "上海分行", "branch", "HO"),
    ("SH01", "上海浦东支行", "sub_branch", "SH"),
)


def password_for(username: str) -> str:
    """The password make_user gives a user."""
    return f"{username}-Pa55word-ok"


async def make_org_tree(session, now: datetime) -> dict[str, str]:
    """HO → BJ → BJ01 and HO → SH → SH01; returns code → path."""
    paths = {}
    for code, name, kind, parent in ORG_TREE:
        created = await orgs.create_org(session, code=code, name=name, kind=kind, parent_code=parent, now=now)
        paths[code] = created["path"]
    return paths


async def make_user(session, username: str, role: str, org_code: str, *, team: str | None = None,
                    now: datetime) -> Principal:
    """An active user (password ``password_for(username)``) as the Principal their token carries."""
    created = await users.create_user(session, username=username, role=role, org_code=org_code,
                                      password=password_for(username), team=team, now=now, hasher=FAST_HASHER)
    return Principal(user_id=created["id"], username=username, role=Role(created["role"]), org_code=org_code,
                     org_path=created["org_path"], team=team)


def bearer(principal: Principal, settings, now: datetime) -> dict[str, str]:
    """The Authorization header of a fresh access token for the principal."""
    return {"Authorization": f"Bearer {tokens.issue_access_token(principal, settings, now)}"}



# --- an HTTP client on the staff routes, for the staff tests ------------------------------------

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@dataclass
class StaffEnv:
    """A migrated cases database, a Service on it with a frozen clock, and an HTTP client."""

    service: Any
    settings: CasesSettings
    clock: FrozenClock
    client: httpx.AsyncClient
    principals: dict[str, Principal] = field(default_factory=dict)

    async def add_user(self, username: str, role: str, org_code: str, **kwargs) -> Principal:
        """Create a user in its own transaction."""
        async with self.service.unit_of_work() as uow:
            principal = await make_user(uow.session, username, role, org_code, now=self.clock.now(), **kwargs)
        self.principals[username] = principal
        return principal

    def auth(self, username: str) -> dict[str, str]:
        """A bearer header for a user made with add_user."""
        return bearer(self.principals[username], self.settings, self.clock.now())

    async def login(self, username: str, password: str | None = None, **extra) -> httpx.Response:
        """POST /v1/auth/token with the password grant."""
        form = {"grant_type": "password", "username": username,
                "password": password if password is not None else password_for(username), **extra}
        return await self.client.post("/v1/auth/token", data=form)


def staff_settings(database_url: str, data_dir: Path, **overrides) -> CasesSettings:
    """Cases settings for tests: the test database, a fixed JWT secret, cheap argon2."""
    values = {"database_url": database_url, "data_dir": data_dir, "jwt_secret": TEST_JWT_SECRET, **FAST_ARGON2}
    return CasesSettings(**{**values, **overrides})


def build_service(settings: CasesSettings, engine, clock: FrozenClock) -> Any:
    """The service's route context, as services/cases/main.py builds it."""
    return build(settings, engine=engine, bus=RecordingBus(), clock=clock).context


@asynccontextmanager
async def staff_env(database_url: str, data_dir: Path, **overrides) -> AsyncIterator[StaffEnv]:
    """A migrated database with the org tree, and a client on an app serving auth_api.router."""
    engine = create_engine(database_url)
    try:
        await migrations.upgrade(engine, "cases")
        clock = FrozenClock(T0)
        settings = staff_settings(database_url, data_dir, **overrides)
        service = build_service(settings, engine, clock)
        async with service.unit_of_work() as uow:
            await make_org_tree(uow.session, clock.now())
        app = FastAPI()
        install_problem_handlers(app)
        app.include_router(auth_api.router)
        app.state.cases = service
        transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://cases") as client:
            yield StaffEnv(service, settings, clock, client)
    finally:
        await engine.dispose()
