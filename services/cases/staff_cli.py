"""Staff commands, mounted by services/cli.py: ``kesu user create``, ``kesu org create|import``, ``kesu audit verify``."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from services.cases import audit, orgs, passwords, users
from services.cases.settings import CasesSettings
from shared import migrations
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.http import Problem

user_app = typer.Typer(help="Staff users of the cases service.", no_args_is_help=True)
org_app = typer.Typer(help="The org tree (head office, branches, sub-branches).", no_args_is_help=True)
audit_app = typer.Typer(help="The cases audit log.", no_args_is_help=True)


# A callback keeps a one-command Typer a group, so `user create` (not bare `user`) is the command.
@user_app.callback()
def _user_group() -> None:
    """Staff users of the cases service."""


@audit_app.callback()
def _audit_group() -> None:
    """The cases audit log."""


DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Embedded mode: the SQLite file under this directory.")]
T = TypeVar("T")


def _settings(data_dir: Path | None) -> CasesSettings:
    if data_dir is None:
        return CasesSettings()
    return CasesSettings(bus="memory", database_url=None, data_dir=data_dir)


def _actor() -> str:
    """Who ran the command, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no login name in some containers
        return "cli"


async def _in_transaction(settings: CasesSettings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate, then run ``action(session)`` in one transaction against the cases database."""
    engine = create_engine(settings.resolved_database_url())
    try:
        await migrations.upgrade(engine, "cases")
        async with session_factory(engine)() as session, session.begin():
            return await action(session)
    finally:
        await engine.dispose()


def _run(settings: CasesSettings, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run an action; domain errors print as ``field: message`` and exit 1."""
    try:
        return asyncio.run(_in_transaction(settings, action))
    except orgs.OrgError as exc:
        typer.echo(f"error: {exc.field}: {exc}", err=True)
        raise typer.Exit(1) from None
    except Problem as exc:
        fields = ", ".join(e["field"] for e in exc.extra.get("errors", []))
        typer.echo(f"error: {fields or exc.title}: {exc.detail}", err=True)
        raise typer.Exit(1) from None


@user_app.command("create")
def create_user(
    username: Annotated[str, typer.Option(help="Login name (lower case).")],
    role: Annotated[str, typer.Option(help="handler, team_lead, branch_head, complaint_officer, auditor or admin.")],
    org: Annotated[str, typer.Option(help="Org code the user belongs to.")],
    password: Annotated[str | None, typer.Option(help="Initial password; omitted: a strong one is generated and printed once.")] = None,
    team: Annotated[str | None, typer.Option(help="Team within the org.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown to colleagues.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a staff user (audited as user.create)."""
    settings = _settings(data_dir)
    chosen = password or passwords.generate_password()

    async def action(session) -> dict:
        now = SystemClock().now()
        created = await users.create_user(session, username=username, role=role, org_code=org, password=chosen,
                                          team=team, display_name=display_name, now=now,
                                          hasher=passwords.hasher_for(settings))
        await audit.record(session, actor=_actor(), action="user.create", subject_type="user",
                           subject_id=created["id"], at=now,
                           details={"username": username, "role": role, "org_code": org, "team": team})
        return created

    created = _run(settings, action)
    typer.echo(f"created user {created['username']} ({created['role']}, {created['org_path']}) id {created['id']}")
    if password is None:
        typer.echo(f"password (shown once): {chosen}")


@org_app.command("create")
def create_org(
    code: Annotated[str, typer.Option(help="Org code: upper-case letters, digits, hyphens.")],
    name: Annotated[str, typer.Option(help="Display name, e.g. 北京分行.")],
    kind: Annotated[str, typer.Option(help="head_office, branch or sub_branch.")],
    parent: Annotated[str | None, typer.Option(help="Parent org code (none for the head office).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create one org (audited as org.create)."""

    async def action(session) -> dict:
        now = SystemClock().now()
        created = await orgs.create_org(session, code=code, name=name, kind=kind, parent_code=parent, now=now)
        await _audit_org(session, created, now)
        return created

    created = _run(_settings(data_dir), action)
    typer.echo(f"created org {created['code']} at {created['path']}")


async def _audit_org(session, created: dict, now) -> None:
    await audit.record(session, actor=_actor(), action="org.create", subject_type="org", subject_id=created["code"],
                       details={k: created[k] for k in ("name", "kind", "path")}, at=now)


@org_app.command("import")
def import_orgs(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML: orgs: [{code, name, kind, parent}].")],
    data_dir: DataDir = None,
) -> None:
    """Create every org of a YAML file not yet present, in one transaction (all or nothing)."""
    try:
        entries = orgs.read_import_file(file)
    except (orgs.OrgError, ValueError) as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(1) from None

    async def action(session) -> tuple[list[dict], list[str]]:
        now = SystemClock().now()
        created, existing = await orgs.import_orgs(session, entries, now=now)
        for row in created:
            await _audit_org(session, row, now)
        return created, existing

    created, existing = _run(_settings(data_dir), action)
    typer.echo(f"created {len(created)} org(s), {len(existing)} already present")


@audit_app.command("verify")
def verify(data_dir: DataDir = None,
           anchor: Annotated[str | None, typer.Option(
               help="SEQ:HASH printed by an earlier verify and kept outside the database: detects truncation.")] = None,
           ) -> None:
    """Recompute the audit log's hash chain: exit 0 when intact, 1 naming the first bad seq."""
    try:
        expected = audit.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--anchor") from exc
    result = _run(_settings(data_dir), lambda session: audit.verify(session, expected))
    if result.ok:
        typer.echo(f"audit log intact: {result.checked} entries, head {result.checked}:{result.last_hash}")
        return
    typer.echo(f"audit log BROKEN at seq {result.first_bad_seq} ({result.checked} entries intact before it): "
               f"{result.problem}", err=True)
    raise typer.Exit(1)
