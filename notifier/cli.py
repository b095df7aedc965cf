"""Notifier commands: ``kesu notifier rules check [FILE]`` and ``kesu notifier directory import FILE``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from notifier import directory, models, rendering, rulebook
from notifier.settings import NotifierSettings
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.uow import UnitOfWork

notifier_app = typer.Typer(help="Notifier commands.", no_args_is_help=True)
rules_app = typer.Typer(help="Notification rules.", no_args_is_help=True)
directory_app = typer.Typer(help="The notifier's staff directory.", no_args_is_help=True)
notifier_app.add_typer(rules_app, name="rules")
notifier_app.add_typer(directory_app, name="directory")
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded mode: the SQLite file under this directory.")]


def _settings(data_dir: Path | None) -> NotifierSettings:
    return NotifierSettings() if data_dir is None else NotifierSettings(database_url=None, data_dir=data_dir)


@rules_app.command("check")
def check_rules(path: Annotated[Path | None, typer.Argument(help="Default: the packaged rules.")] = None) -> None:
    """Validate a rules file and its templates, as the notifier does at start-up."""
    try:
        book = rulebook.load(str(path) if path else None)
        rendering.check(book)
    except rulebook.RulebookError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{len(book.rules)} rules OK")


@directory_app.command("import")
def import_directory(path: Path, data_dir: DataDir = None) -> None:
    """Upsert staff entries from a YAML file (username: {display_name, role, org_code, ...})."""
    try:
        entries = directory.read_seed(str(path))
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    count = asyncio.run(_import(_settings(data_dir), entries))
    typer.echo(f"{count} directory entries imported")


async def _import(settings: NotifierSettings, entries: dict) -> int:
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrations.upgrade(engine, "notifier")
        uow = UnitOfWork(session_factory(engine), source="kesu/notifier-cli", outbox=models.outbox,
                         inbox=models.inbox, topic_for=settings.topic, clock=SystemClock())
        async with uow:
            return await directory.seed(uow, entries)
    finally:
        await engine.dispose()
