"""`kesu sla ...` and `kesu calendar ...`: deadline previews and official calendar imports.

Register in services/cli.py with ``app.add_typer(sla_app, name="sla")`` and
``app.add_typer(calendar_app, name="calendar")``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic_core import to_jsonable_python

sla_app = typer.Typer(help="SLA deadlines.", no_args_is_help=True)
calendar_app = typer.Typer(help="Business calendars (holidays and make-up workdays).", no_args_is_help=True)


@sla_app.command("preview")
def preview(
    policy: Annotated[str, typer.Option(help="Policy id, e.g. cn-nfra-2020.")],
    received_at: Annotated[str, typer.Option(help="ISO 8601 instant with offset, e.g. 2025-09-30T10:00+08:00.")],
    complexity: Annotated[str, typer.Option(help="simple or complex.")] = "simple",
    business_line: Annotated[str | None, typer.Option(help="Business line (picks variants).")] = None,
) -> None:
    """Print, as JSON, when each clock of a policy would fall due."""
    from sla_tracker.calendar import packaged_calendars
    from sla_tracker.explain import preview as make_preview
    from sla_tracker.policies import load_book

    instant = _instant(received_at)
    if complexity not in ("simple", "complex"):
        raise typer.BadParameter("complexity must be simple or complex", param_hint="--complexity")
    book = load_book()
    if policy not in book.policies:
        raise typer.BadParameter(f"unknown policy; known: {', '.join(sorted(book.policies))}", param_hint="--policy")
    result = make_preview(book, packaged_calendars(), policy, instant, complexity, business_line)
    typer.echo(json.dumps(to_jsonable_python(result), ensure_ascii=False, indent=2))


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--received-at") from exc
    if instant.tzinfo is None:
        raise typer.BadParameter("give a UTC offset, e.g. +08:00", param_hint="--received-at")
    return instant


@calendar_app.command("import")
def import_calendar(
    file: Annotated[Path, typer.Argument(help="JSON: calendar, version, years {YYYY: {status, source_url}}, days.")],
    data_dir: Annotated[Path | None, typer.Option(help="Embedded mode: the SQLite data directory.")] = None,
) -> None:
    """Load an official schedule (e.g. the State Council's notice) into the SLA tracker's database."""
    from sla_tracker.calendar import packaged_calendars
    from sla_tracker.calendar_store import validate

    document = json.loads(file.read_text(encoding="utf-8"))
    problems = validate(document, packaged_calendars())
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    asyncio.run(_store(document, data_dir))
    years = sorted(y for y, info in document.get("years", {}).items() if info.get("status") == "confirmed")
    typer.echo(f"imported {document['calendar']} {document['version']}: {len(document.get('days', []))} day(s), "
               f"confirmed years {', '.join(years) or 'none'}; running services apply it within a minute")


async def _store(document: dict, data_dir: Path | None) -> None:
    from shared import migrations
    from shared.clock import SystemClock
    from shared.db import create_engine
    from shared.service import assemble
    from sla_tracker import calendar_store, models
    from sla_tracker.settings import SlaSettings

    overrides = {"data_dir": data_dir, "database_url": None} if data_dir else {}
    settings = SlaSettings(**overrides)
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrations.upgrade(engine, "sla_tracker")
        service = assemble(name="sla_tracker", settings=settings, engine=engine, bus=None, clock=SystemClock(),
                           outbox=models.outbox, inbox=models.inbox)
        async with service.unit_of_work() as uow:
            await calendar_store.store(uow, document)
    finally:
        await engine.dispose()
