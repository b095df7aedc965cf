"""A real intake served by uvicorn, for the services that call it over HTTP (notifier, cases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from intake import keys
from intake.main import build as build_intake
from intake.schemas import Channel
from intake.settings import IntakeSettings
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine
from shared.service import Runtime, build_app
from tests.integration.fakes import RecordingBus
from tests.notifier.servers import serving


@dataclass(frozen=True)
class ServedIntake:
    """Where intake listens, a channel key, a staff key with scope pii:reveal, and its engine."""

    base_url: str
    channel_key: str
    reveal_key: str
    engine: AsyncEngine


@asynccontextmanager
async def served_intake(data_dir: Path, *, reveal_channels: list[str] | None = None) -> AsyncIterator[ServedIntake]:
    """Intake on SQLite under uvicorn; the reveal key covers ``reveal_channels`` (default: every channel)."""
    url = f"sqlite+aiosqlite:///{data_dir / 'intake.sqlite'}"
    engine = create_engine(url)
    try:
        await migrations.upgrade(engine, "intake")
        service = build_intake(IntakeSettings(database_url=url), engine=engine, bus=RecordingBus(),
                               clock=SystemClock())
        async with service.unit_of_work() as uow:
            channel_key = await keys.create_api_key(uow, channels=["mobile_app"])
            reveal_key = await keys.create_api_key(uow, channels=reveal_channels or [c.value for c in Channel],
                                                   scopes=["pii:reveal"])
        async with serving(build_app(Runtime([service], RecordingBus(), [engine]), title="intake")) as base_url:
            yield ServedIntake(base_url, channel_key, reveal_key, engine)
    finally:
        await engine.dispose()
