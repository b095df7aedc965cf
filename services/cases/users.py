"""Staff users: creation, changes, look-ups and password authentication."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import insert, select, update

from services.cases import passwords
from services.cases.models import orgs, users
from services.cases.orgs import OrgError, OrgKind, get_org
from services.cases.security import Principal, Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# What a user row shows outside this module (never the password hash).
PUBLIC_FIELDS = ("id", "username", "display_name", "role", "org_code", "team", "email", "phone",
                 "language", "active", "created_at", "updated_at")


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    # Verified against when the username is unknown, so both paths cost the same argon2 verification.
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return passwords.hash_password("kesu-no-such-user-password", hasher)


class UserError(OrgError):
    """A user that cannot be created or changed as asked; ``field`` names the culprit."""


def public(row: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """A user row without its password hash (plus the org path when known)."""
    shown = {field: row[field] for field in PUBLIC_FIELDS}
    if path is not None:
        shown["org_path"] = path
    return shown


def _check_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username or ""):
        raise UserError("username", "username must be 3-64 lower-case letters, digits, '.', '_' or '-'")


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserError("role", f"role must be one of {', '.join(Role)}") from None


async def _check_role_fits_org(session, role: str, org_code: str) -> str:
    """The org's path, once the org exists and may hold the role (complaint officers: head office only)."""
    org = await get_org(session, org_code)
    if org is None:
        raise UserError("org_code", f"unknown org {org_code!r}")
    if Role(role) is Role.COMPLAINT_OFFICER and org["kind"] != OrgKind.HEAD_OFFICE:
        raise UserError("role", "a complaint_officer belongs to the head office")
    return org["path"]


async def _with_path(session, condition) -> tuple[dict[str, Any], str] | None:
    query = select(users, orgs.c.path.label("org_path")).join(orgs, orgs.c.code == users.c.org_code).where(condition)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    return values, values.pop("org_path")


async def get_user(session, user_id: str) -> tuple[dict[str, Any], str] | None:
    """A user row and its org path, or None."""
    return await _with_path(session, users.c.id == user_id)


async def get_by_username(session, username: str) -> tuple[dict[str, Any], str] | None:
    """A user row by username and its org path, or None."""
    return await _with_path(session, users.c.username == username)


async def create_user(session, *, username: str, role: str, org_code: str, password: str, team: str | None = None,
                      email: str | None = None, phone: str | None = None, language: str = "zh", now: datetime,
                      display_name: str | None = None, hasher: PasswordHasher | None = None) -> dict:
    """Create an active user (password checked against the policy, stored as argon2id)."""
    _check_username(username)
    _check_role(role)
    passwords.check_policy(password, username)
    path = await _check_role_fits_org(session, role, org_code)
    if await get_by_username(session, username) is not None:
        raise UserError("username", f"username {username!r} is taken", 409)
    row = {"id": str(uuid.uuid4()), "username": username, "display_name": display_name, "role": role,
           "org_code": org_code, "team": team, "email": email, "phone": phone, "language": language,
           "active": True, "created_at": now, "updated_at": now,
           "password_hash": await asyncio.to_thread(passwords.hash_password, password, hasher)}
    await session.execute(insert(users).values(**row))
    return public(row, path)


def principal_for(row: dict[str, Any], path: str) -> Principal:
    """The principal a user row stands for."""
    return Principal(user_id=row["id"], username=row["username"], role=Role(row["role"]),
                     org_code=row["org_code"], org_path=path, team=row["team"])


async def update_user(session, user_id: str, changes: dict[str, Any], *, now: datetime,
                      hasher: PasswordHasher | None = None) -> dict:
    """Apply changes (role, org, team, contact, active, password); returns the public row."""
    found = await get_user(session, user_id)
    if found is None:
        raise UserError("user_id", "no such user", 404)
    current, path = found
    values = dict(changes)
    if "role" in values:
        _check_role(values["role"])
    if "role" in values or "org_code" in values:
        path = await _check_role_fits_org(session, values.get("role", current["role"]),
                                          values.get("org_code", current["org_code"]))
    if "password" in values:
        password = values.pop("password")
        passwords.check_policy(password, current["username"])
        values["password_hash"] = await asyncio.to_thread(passwords.hash_password, password, hasher)
    values["updated_at"] = now
    await session.execute(update(users).where(users.c.id == user_id).values(**values))
    return public({**current, **values}, path)


async def list_users(session, *, scope_path: str, role: str | None = None, org_code: str | None = None,
                     active: bool | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Users whose org lies under ``scope_path``, by username."""
    query = (select(users, orgs.c.path.label("org_path")).join(orgs, orgs.c.code == users.c.org_code)
             .where(orgs.c.path.like(f"{scope_path}%")))
    for column, value in ((users.c.role, role), (users.c.org_code, org_code), (users.c.active, active)):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(users.c.username).limit(limit).offset(offset)
    rows = [dict(row._mapping) for row in (await session.execute(query)).all()]
    return [public(row, row["org_path"]) for row in rows]


async def credentials_match(found: tuple[dict[str, Any], str] | None, password: str,
                            hasher: PasswordHasher) -> bool:
    """True when ``found`` is an active user and the password is theirs (argon2 runs off the loop)."""
    stored = found[0]["password_hash"] if found else _dummy_hash(hasher.time_cost, hasher.memory_cost,
                                                                  hasher.parallelism)
    matches = await asyncio.to_thread(passwords.verify_password, stored, password, hasher)
    return matches and found is not None and bool(found[0]["active"])


async def upgrade_hash(session, row: dict[str, Any], password: str, hasher: PasswordHasher) -> bool:
    """Re-hash a just-verified password whose hash has outdated parameters; True when it did."""
    if not passwords.needs_rehash(row["password_hash"], hasher):
        return False
    new_hash = await asyncio.to_thread(passwords.hash_password, password, hasher)
    await session.execute(update(users).where(users.c.id == row["id"]).values(password_hash=new_hash))
    return True
