"""Intake's commands: ``kesu import FILE`` (history) and ``kesu rotate-key`` (vault re-encryption)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from intake import handlers, importer, piistore
from intake.main import build, policy_from, vault_from
from intake.schemas import ComplaintCreate
from intake.settings import IntakeSettings
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine
from shared.service import Service, make_bus

app = typer.Typer(help="Intake commands.", no_args_is_help=True)
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded mode: the SQLite file under this directory.")]


@dataclass
class ImportReport:
    """What an import did, line by line for the rejects."""

    imported: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)


def _settings(data_dir: Path | None) -> IntakeSettings:
    if data_dir is None:
        return IntakeSettings()
    return IntakeSettings(bus="memory", database_url=None, data_dir=data_dir)


async def _with_service(settings: IntakeSettings, action):
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrations.upgrade(engine, "intake")
        # The bus is not started: events go to the outbox, which the running relay publishes.
        return await action(build(settings, engine=engine, bus=make_bus(settings), clock=SystemClock()))
    finally:
        await engine.dispose()


async def import_history(path: Path, settings: IntakeSettings) -> ImportReport:
    """Import each valid record as a complaint; skip (channel, external_ref) pairs already present."""
    report = ImportReport()

    async def run(service: Service) -> ImportReport:
        for line, record, error in importer.rows(path):
            await _import_one(service, settings, report, line, record, error)
        return report

    return await _with_service(settings, run)


async def _import_one(service: Service, settings: IntakeSettings, report: ImportReport, line: int,
                      record: dict | None, error: str | None) -> None:
    if error:
        report.errors.append({"line": line, "errors": [{"field": "body", "message": error}]})
        return
    try:
        complaint = ComplaintCreate.model_validate(record)
    except ValidationError as exc:
        fields = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        report.errors.append({"line": line, "errors": fields})
        return
    async with service.unit_of_work() as uow:
        if complaint.external_ref and await handlers.external_ref_taken(uow, complaint.channel.value,
                                                                        complaint.external_ref):
            report.skipped += 1
            return
        await handlers.receive_complaint(
            uow, complaint, pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
            timezone=settings.timezone, vault=vault_from(settings), policy=policy_from(settings))
    report.imported += 1


async def rotate(settings: IntakeSettings, batch: int = 500) -> int:
    """Re-seal every vault row not under the active key; returns how many rows changed."""
    vault = vault_from(settings)

    async def run(service: Service) -> int:
        total = 0
        while True:
            async with service.unit_of_work() as uow:
                done = await piistore.rotate_batch(uow, vault, batch)
            total += done
            if done < batch:
                return total

    return await _with_service(settings, run)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv (dotted headers) or JSON-lines file.")],
    data_dir: DataDir = None,
) -> None:
    """Import historical complaints; rejects are printed as JSON lines with their line and fields."""
    report = asyncio.run(import_history(file, _settings(data_dir)))
    for error in report.errors:
        typer.echo(json.dumps(error, ensure_ascii=False), err=True)
    typer.echo(f"imported {report.imported}, skipped {report.skipped} already present, rejected {len(report.errors)}")
    if report.errors:
        raise typer.Exit(code=1)


@app.command("rotate-key")
def rotate_key_command(data_dir: DataDir = None) -> None:
    """Re-encrypt vault rows under KESU_VAULT_ACTIVE_KEY (keep the old key configured until this ends)."""
    count = asyncio.run(rotate(_settings(data_dir)))
    typer.echo(f"re-encrypted {count} vault row(s) with key {_settings(data_dir).vault_active_key!r}")
