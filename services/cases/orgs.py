"""The org tree: head office → branches → sub-branches, stored with materialised paths."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select

from services.cases.models import orgs
from shared.http import Problem

# Upper-case letters, digits and hyphens only: no LIKE wildcards ("_", "%") and no "/" can appear
# in a path, so subtree queries need no escaping.
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")


class OrgKind(StrEnum):
    """The levels of the tree."""

    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"


# The kind a parent must have for each kind of child (the head office has none).
PARENT_KIND = {OrgKind.HEAD_OFFICE: None, OrgKind.BRANCH: OrgKind.HEAD_OFFICE, OrgKind.SUB_BRANCH: OrgKind.BRANCH}


class OrgError(Exception):
    """An org that cannot be created as asked; ``field`` names the culprit."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status

    def problem(self) -> Problem:
        """The problem+json this error answers with."""
        title = "Conflict" if self.status == 409 else "Validation failed"
        return Problem(self.status, title, str(self), errors=[{"field": self.field, "message": str(self)}])


def _as_dict(row) -> dict[str, Any]:
    return dict(row._mapping)


async def get_org(session, code: str) -> dict[str, Any] | None:
    """One org by code, or None."""
    row = (await session.execute(select(orgs).where(orgs.c.code == code))).first()
    return _as_dict(row) if row else None


async def org_path(session, code: str, *, field: str = "org_code") -> str:
    """The materialised path ("/HO/BJ/BJ01/") of an org; OrgError naming ``field`` when there is none."""
    found = await get_org(session, code)
    if found is None:
        raise OrgError(field, f"unknown org {code!r}")
    return found["path"]


async def _parent_path(session, kind: OrgKind, parent_code: str | None) -> str:
    expected = PARENT_KIND[kind]
    if expected is None:
        if parent_code:
            raise OrgError("parent_code", "a head office has no parent")
        existing = (await session.execute(select(orgs.c.code).where(orgs.c.parent_code.is_(None)))).first()
        if existing:
            raise OrgError("kind", f"there is already a head office ({existing.code}); one tree only", 409)
        return "/"
    if not parent_code:
        raise OrgError("parent_code", f"a {kind} needs a parent {expected}")
    parent = await get_org(session, parent_code)
    if parent is None:
        raise OrgError("parent_code", f"unknown parent org {parent_code!r}")
    if parent["kind"] != expected:
        raise OrgError("parent_code", f"the parent of a {kind} must be a {expected}, {parent_code} is a {parent['kind']}")
    return parent["path"]


def _check_fields(code: str, name: str, kind: str) -> OrgKind:
    if not CODE_PATTERN.match(code or ""):
        raise OrgError("code", "code must be 1-32 upper-case letters, digits or hyphens")
    if not (name or "").strip():
        raise OrgError("name", "name must not be empty")
    try:
        return OrgKind(kind)
    except ValueError:
        raise OrgError("kind", f"kind must be one of {', '.join(OrgKind)}") from None


async def create_org(session, *, code: str, name: str, kind: str, parent_code: str | None, now: datetime) -> dict:
    """Create an org under its parent and return its row (with the computed path)."""
    org_kind = _check_fields(code, name, kind)
    if await get_org(session, code) is not None:
        raise OrgError("code", f"org {code!r} already exists", 409)
    path = f"{await _parent_path(session, org_kind, parent_code)}{code}/"
    row = {"code": code, "name": name.strip(), "kind": str(org_kind), "parent_code": parent_code or None,
           "path": path, "created_at": now}
    await session.execute(insert(orgs).values(**row))
    return row


async def subtree(session, path: str) -> list[dict[str, Any]]:
    """Every org at or below a path, parents before children."""
    query = select(orgs).where(orgs.c.path.like(f"{path}%")).order_by(orgs.c.path)
    return [_as_dict(row) for row in (await session.execute(query)).all()]


def read_import_file(path: Path) -> list[dict[str, Any]]:
    """The org entries of an import file: ``orgs: [{code, name, kind, parent}]``, parents first."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = document.get("orgs") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise OrgError("orgs", "the file must hold a mapping with a list 'orgs' of {code, name, kind, parent}")
    return entries


async def import_orgs(session, entries: list[dict[str, Any]], *, now: datetime) -> tuple[list[dict], list[str]]:
    """Create each entry not yet present; returns (created rows, codes already present).

    An existing code is skipped only if its name, kind and parent agree with the file.
    """
    created, existing = [], []
    for index, entry in enumerate(entries):
        code, parent = str(entry.get("code", "")), entry.get("parent")
        found = await get_org(session, code)
        if found is None:
            created.append(await create_org(session, code=code, name=str(entry.get("name", "")),
                                            kind=str(entry.get("kind", "")), parent_code=parent, now=now))
        elif (found["name"], found["kind"], found["parent_code"]) != (entry.get("name"), entry.get("kind"), parent):
            raise OrgError(f"orgs[{index}]", f"org {code!r} exists with a different name, kind or parent", 409)
        else:
            existing.append(code)
    return created, existing
