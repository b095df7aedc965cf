"""The staff directory: who holds which role at which branch, and how to reach them."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, select

from notifier.models import directory
from notifier.schemas import DirectoryEntry
from shared.db import upsert_insert
from shared.uow import UnitOfWork

HEAD_OFFICE = "HO"
FIELDS = tuple(DirectoryEntry.model_fields)


async def put(uow: UnitOfWork, username: str, entry: DirectoryEntry) -> dict:
    """Create or replace one entry."""
    values = {"username": username, "updated_at": uow.clock.now(), **entry.model_dump()}
    statement = upsert_insert(uow.session.bind, directory).values(**values)
    await uow.session.execute(statement.on_conflict_do_update(
        index_elements=[directory.c.username], set_={k: statement.excluded[k] for k in values if k != "username"}))
    return values


async def get(uow: UnitOfWork, username: str) -> dict | None:
    """One entry, or None."""
    row = (await uow.session.execute(select(directory).where(directory.c.username == username))).mappings().first()
    return dict(row) if row else None


async def list_all(uow: UnitOfWork, *, role: str | None = None, org_code: str | None = None) -> list[dict]:
    """Entries by username, optionally of one role or branch."""
    query = select(directory).order_by(directory.c.username)
    if role:
        query = query.where(directory.c.role == role)
    if org_code:
        query = query.where(directory.c.org_code == org_code)
    return [dict(r) for r in (await uow.session.execute(query)).mappings()]


async def remove(uow: UnitOfWork, username: str) -> bool:
    """Delete an entry; False when there was none."""
    return (await uow.session.execute(delete(directory).where(directory.c.username == username))).rowcount == 1


async def holders(uow: UnitOfWork, role: str, org_code: str | None) -> list[dict]:
    """Who holds a role at the branch, else at head office; the duty officer is whoever is on duty."""
    for org in dict.fromkeys(o for o in (org_code, HEAD_OFFICE) if o):
        query = select(directory).where(directory.c.org_code == org).order_by(directory.c.username)
        if role == "duty_officer":
            query = query.where(directory.c.on_duty.is_(True))
        else:
            query = query.where(directory.c.role == role)
        rows = [dict(r) for r in (await uow.session.execute(query)).mappings()]
        if rows:
            return rows
    return []


def read_seed(path: str) -> dict[str, DirectoryEntry]:
    """Validate a YAML seed: a mapping of username to entry; ValueError names the bad field."""
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        return TypeAdapter(dict[str, DirectoryEntry]).validate_python(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the staff directory: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: invalid staff directory: {problems}") from exc


async def seed(uow: UnitOfWork, entries: dict[str, DirectoryEntry]) -> int:
    """Upsert every entry of a seed; returns how many."""
    for username, entry in entries.items():
        await put(uow, username, entry)
    return len(entries)
