"""The ``kesu`` command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from classifier.cli import classifier_app, classify
from intake import cli as intake_cli
from notifier.cli import notifier_app
from services import runner
from services.cases.staff_cli import audit_app, org_app, user_app
from sla_tracker.cli import calendar_app, sla_app

app = typer.Typer(help="Kesu (客诉): complaint-lifecycle platform.", no_args_is_help=True, pretty_exceptions_enable=False)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
apikey_app = typer.Typer(help="Channel API keys.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-letter queues.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(apikey_app, name="apikey")
app.add_typer(dlq_app, name="dlq")
app.add_typer(sla_app, name="sla")
app.add_typer(classifier_app, name="classifier")
app.command("classify")(classify)
app.command("import")(intake_cli.import_command)
app.command("rotate-key")(intake_cli.rotate_key_command)
app.add_typer(calendar_app, name="calendar")
app.add_typer(notifier_app, name="notifier")
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(audit_app, name="audit")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Embedded mode: SQLite and the in-process bus under this directory."),
]


def _overrides(data_dir: Path | None) -> dict:
    return runner.embedded_overrides(data_dir) if data_dir is not None else {}


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for every HTTP API.")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the SQLite files live.")] = Path("kesu-data"),
) -> None:
    """Run every service in this process: SQLite, in-process bus, migrations applied on start."""
    typer.echo(f"Kesu on http://{host}:{port}  (API docs: http://{host}:{port}/docs, data: {data_dir})")
    uvicorn.run(runner.embedded_app(data_dir), host=host, port=port, log_level="warning")


@app.command()
def run(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(runner.SERVICES)}.")],
    host: Annotated[str | None, typer.Option(help="Interface (default KESU_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KESU_PORT).")] = None,
) -> None:
    """Run one service against the database and bus from settings (PostgreSQL and Kafka)."""
    if service not in runner.SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose from {', '.join(runner.SERVICES)}")
    settings = runner.settings_for(service)
    uvicorn.run(runner.service_app(service), host=host or settings.host, port=port or settings.port,
                log_level="warning")


@app.command()
def asyncapi() -> None:
    """Print the AsyncAPI 3 document of every Kesu event (kept in docs/asyncapi.json)."""
    from shared.asyncapi import document

    typer.echo(json.dumps(document(), ensure_ascii=False, indent=2))


@app.command()
def migrate(
    service: Annotated[list[str] | None, typer.Option(help="Only these services (repeatable).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Apply every service's migrations to its own database."""
    names = service or list(runner.SERVICES)
    unknown = set(names) - set(runner.SERVICES)
    if unknown:
        raise typer.BadParameter(f"unknown service(s): {', '.join(sorted(unknown))}")
    for line in asyncio.run(runner.migrate(names, **_overrides(data_dir))):
        typer.echo(f"migrated {line}")


@topics_app.command("ensure")
def topics_ensure(data_dir: DataDir = None) -> None:
    """Create every topic and its .dlq twin with the configured partitions (idempotent)."""
    created = asyncio.run(runner.ensure_topics(**_overrides(data_dir)))
    typer.echo(f"created {len(created)} topic(s)" + (": " + ", ".join(created) if created else ""))


@apikey_app.command("create")
def apikey_create(
    channel: Annotated[list[str], typer.Option(help="Channel the key may submit for (repeatable).")],
    label: Annotated[str | None, typer.Option(help="Who the key is for.")] = None,
    rate_limit: Annotated[float | None, typer.Option(help="Requests per second for this key (default KESU_RATE_LIMIT_PER_S).")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="Extra permission, e.g. pii:reveal (repeatable).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a channel API key; the key is the last line printed (it is shown only once)."""
    try:
        key = asyncio.run(runner.create_api_key(channel, label, rate_limit_per_s=rate_limit, scopes=scope,
                                                **_overrides(data_dir)))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--channel") from exc
    typer.echo(f"API key for {', '.join(channel)} (store it now; it is not shown again):")
    typer.echo(key)


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[str | None, typer.Option(help="A stream (complaint-events, ...); default all.")] = None,
    limit: int = 100,
    data_dir: DataDir = None,
) -> None:
    """Print dead-lettered messages as JSON lines with their error headers."""
    for entry in asyncio.run(runner.dlq_entries(topic, limit, **_overrides(data_dir))):
        typer.echo(json.dumps(entry, ensure_ascii=False))


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Option(help="The stream whose DLQ to replay, e.g. complaint-events.")],
    limit: int = 1000,
    data_dir: DataDir = None,
) -> None:
    """Republish dead-lettered messages to their original topic, each once."""
    count = asyncio.run(runner.dlq_replay(topic, limit, **_overrides(data_dir)))
    typer.echo(f"replayed {count} message(s) from {topic}.dlq")
