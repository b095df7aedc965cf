"""Staff administration routes (mounted by auth_api.router): users, orgs and the audit log."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from services.cases import audit, orgs, passwords, tokens, users
from services.cases.access import audit_scope
from services.cases.security import Principal, Staff, path_in_scope, require
from shared.http import Problem
from shared.text import NulFree

router = APIRouter()


def _service(request: Request) -> Any:
    """The cases service's context (unit_of_work, settings, clock), as main.py set it on the app."""
    return request.app.state.cases


CasesService = Annotated[Any, Depends(_service)]
UserManager = Annotated[Principal, Depends(require("users:manage"))]
OrgManager = Annotated[Principal, Depends(require("orgs:manage"))]
AuditReader = Annotated[Principal, Depends(require("audit:read"))]
AuditVerifier = Annotated[Principal, Depends(require("audit:verify"))]


class UserCreate(NulFree):
    """A new staff user."""

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(max_length=passwords.MAX_PASSWORD_LENGTH)
    role: str
    org_code: str
    team: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    language: str = Field(default="zh", max_length=8)


class UserUpdate(NulFree):
    """Changes to a staff user; absent fields stay as they are."""

    role: str | None = None
    org_code: str | None = None
    team: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    active: bool | None = None
    password: str | None = Field(default=None, max_length=passwords.MAX_PASSWORD_LENGTH)


class OrgCreate(NulFree):
    """A new branch or sub-branch."""

    code: str
    name: str = Field(min_length=1, max_length=200)
    kind: str
    parent_code: str | None = None


@contextlib.asynccontextmanager
async def _transaction(service: Any) -> AsyncIterator[Any]:
    """A unit of work whose domain errors become problem+json (after rolling back)."""
    try:
        async with service.unit_of_work() as uow:
            yield uow
    except orgs.OrgError as exc:
        raise exc.problem() from exc


def _out_of_scope(field: str, code: str) -> Problem:
    return Problem(403, "Forbidden", f"org {code!r} is outside your org subtree.",
                   errors=[{"field": field, "message": "outside your org subtree"}])


async def _require_org_in_scope(session, principal: Principal, code: str, field: str) -> None:
    if not path_in_scope(principal, await orgs.org_path(session, code, field=field)):
        raise _out_of_scope(field, code)


async def _user_in_scope(session, principal: Principal, user_id: str) -> tuple[dict, str]:
    found = await users.get_user(session, user_id)
    # Out of scope looks like absent: an admin learns nothing about other subtrees.
    if found is None or not path_in_scope(principal, found[1]):
        raise Problem(404, "Not Found", "no such user in your org subtree")
    return found


@router.post("/users", status_code=201, tags=["users"])
async def create_user(service: CasesService, principal: UserManager, body: UserCreate) -> dict:
    """Create a staff user in the caller's org subtree."""
    now = service.clock.now()
    async with _transaction(service) as uow:
        await _require_org_in_scope(uow.session, principal, body.org_code, "org_code")
        created = await users.create_user(uow.session, **body.model_dump(), now=now,
                                          hasher=passwords.hasher_for(service.settings))
        await audit.record(uow.session, actor=principal.username, action="user.create", subject_type="user",
                           subject_id=created["id"], at=now,
                           details={"username": created["username"], "role": created["role"],
                                    "org_code": created["org_code"], "team": created["team"]})
    return created


@router.get("/users", tags=["users"])
async def list_users(
    service: CasesService, principal: UserManager, role: str | None = None, org_code: str | None = None,
    active: bool | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    """Users of the caller's org subtree, by username."""
    async with service.unit_of_work() as uow:
        items = await users.list_users(uow.session, scope_path=principal.org_path, role=role, org_code=org_code,
                                       active=active, limit=limit, offset=offset)
    return {"items": items, "next_offset": offset + limit if len(items) == limit else None}


@router.get("/users/{user_id}", tags=["users"])
async def get_user(service: CasesService, principal: UserManager, user_id: str) -> dict:
    """One user of the caller's org subtree."""
    async with service.unit_of_work() as uow:
        return users.public(*await _user_in_scope(uow.session, principal, user_id))


def _audited_changes(changes: dict) -> dict:
    # Names every changed field; values only for the non-personal, non-secret ones.
    shown = {k: v for k, v in changes.items() if k in ("role", "org_code", "team", "active", "language")}
    return {"changed": sorted(changes), **shown}


@router.patch("/users/{user_id}", tags=["users"])
async def update_user(service: CasesService, principal: UserManager, user_id: str, body: UserUpdate) -> dict:
    """Change a user (role, org, team, contact, password; ``active: false`` deactivates)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("active") is False and user_id == principal.user_id:
        raise Problem(409, "Conflict", "you cannot deactivate yourself", errors=[{"field": "active"}])
    now = service.clock.now()
    async with _transaction(service) as uow:
        await _user_in_scope(uow.session, principal, user_id)
        if "org_code" in changes:
            await _require_org_in_scope(uow.session, principal, changes["org_code"], "org_code")
        updated = await users.update_user(uow.session, user_id, changes, now=now,
                                          hasher=passwords.hasher_for(service.settings))
        if changes.get("active") is False or "password" in changes:
            await tokens.revoke_user(uow.session, user_id, now=now)
        await audit.record(uow.session, actor=principal.username, action="user.update", subject_type="user",
                           subject_id=user_id, details=_audited_changes(changes), at=now)
    return updated


@router.post("/users/{user_id}:deactivate", tags=["users"])
async def deactivate_user(service: CasesService, principal: UserManager, user_id: str) -> dict:
    """Deactivate a user: logins, refreshes and (on each request) access tokens stop working."""
    return await update_user(service, principal, user_id, UserUpdate(active=False))


@router.post("/orgs", status_code=201, tags=["orgs"])
async def create_org(service: CasesService, principal: OrgManager, body: OrgCreate) -> dict:
    """Create a branch or sub-branch under an org in the caller's subtree."""
    now = service.clock.now()
    async with _transaction(service) as uow:
        if body.parent_code:
            await _require_org_in_scope(uow.session, principal, body.parent_code, "parent_code")
        created = await orgs.create_org(uow.session, **body.model_dump(), now=now)
        await audit.record(uow.session, actor=principal.username, action="org.create", subject_type="org",
                           subject_id=created["code"], details={k: created[k] for k in ("name", "kind", "path")},
                           at=now)
    return created


@router.get("/orgs", tags=["orgs"])
async def list_orgs(service: CasesService, principal: Staff) -> dict:
    """The caller's org and everything below it, parents first."""
    async with service.unit_of_work() as uow:
        return {"items": await orgs.subtree(uow.session, principal.org_path)}


@router.get("/orgs/{code}", tags=["orgs"])
async def get_org(service: CasesService, principal: Staff, code: str) -> dict:
    """One org of the caller's subtree."""
    async with service.unit_of_work() as uow:
        found = await orgs.get_org(uow.session, code)
    if found is None or not path_in_scope(principal, found["path"]):
        raise Problem(404, "Not Found", "no such org in your org subtree")
    return found


@router.get("/audit", tags=["audit"])
async def list_audit(
    service: CasesService, principal: AuditReader, actor: str | None = None, action: str | None = None,
    subject_type: str | None = None, subject_id: str | None = None, since: datetime | None = None,
    until: datetime | None = None, before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """Audit entries, newest first; pass ``before_seq`` = ``next_before_seq`` for the next page."""
    flt = audit.AuditFilter(actor, action, subject_type, subject_id, _aware(since, "since"), _aware(until, "until"))
    async with service.unit_of_work() as uow:
        items = await audit.entries(uow.session, flt, limit=limit, before_seq=before_seq,
                                    scope=audit_scope(principal))
    return {"items": items, "next_before_seq": items[-1]["seq"] if len(items) == limit else None}


def _aware(instant: datetime | None, field: str) -> datetime | None:
    if instant is not None and instant.tzinfo is None:
        raise Problem(422, "Validation failed", f"{field} needs a UTC offset (e.g. 2026-11-23T08:00:00+08:00).",
                      errors=[{"field": field, "message": "timezone offset required", "type": "naive_datetime"}])
    return instant


@router.get("/audit:verify", tags=["audit"])
async def verify_audit(service: CasesService, _principal: AuditVerifier,
                       anchor: Annotated[str | None, Query(description="SEQ:HASH from an earlier verify")] = None,
                       ) -> dict:
    """Recompute the whole hash chain (against an anchor kept elsewhere); ``ok`` false names the first bad seq."""
    try:
        expected = audit.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise Problem(422, "Validation failed", str(exc),
                      errors=[{"field": "anchor", "message": str(exc), "type": "query"}]) from exc
    async with service.unit_of_work() as uow:
        result = await audit.verify(uow.session, expected)
    head = f"{result.checked}:{result.last_hash}" if result.ok else None
    return {"ok": result.ok, "checked": result.checked, "first_bad_seq": result.first_bad_seq,
            "problem": result.problem, "last_hash": result.last_hash, "head": head}
