"""Who is calling: the bearer-token dependency (with the live user check) and org-subtree scoping.

Roles and the permission table are the platform's (shared/staff.py), re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, select, true

from services.cases import tokens
from services.cases.models import users
from shared.staff import (OAUTH2, PERMISSIONS, Principal, Role, bearer_token, can, forbidden,
                          principal_from_claims, unauthorized)

__all__ = ["PERMISSIONS", "Principal", "Role", "Staff", "at_root", "can", "current_principal", "forbidden",
           "in_scope", "path_in_scope", "require"]


def path_in_scope(principal: Principal, org_path: str) -> bool:
    """True when an org path lies in the principal's subtree (their own unit included)."""
    return org_path.startswith(principal.org_path)


def at_root(principal: Principal) -> bool:
    """True for staff of the root unit (the head office): there is one tree, so everything is in scope."""
    return principal.org_path.count("/") == 2


def in_scope(principal: Principal, org_path_column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose org path lies in the principal's subtree.

    Org codes are restricted to ``[A-Z0-9-]`` (see orgs.py), so the path needs no LIKE escaping,
    and every path ends in "/", so "/HO/BJ/" never matches "/HO/BJX/".
    """
    if at_root(principal):
        return true()
    return org_path_column.like(f"{principal.org_path}%")


async def _stale_reason(service: Any, principal: Principal) -> str | None:
    """Why a token's principal no longer matches the user row (deactivated, moved, new role), or None."""
    query = select(users.c.active, users.c.role, users.c.org_code, users.c.team).where(users.c.id == principal.user_id)
    async with service.unit_of_work() as uow:
        row = (await uow.session.execute(query)).first()
    if row is None or not row.active:
        return "the user is deactivated"
    if (row.role, row.org_code, row.team) != (str(principal.role), principal.org_code, principal.team):
        return "the user's role, org or team changed; refresh the token"
    return None


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the Bearer JWT's principal, or 401 problem+json."""
    service = request.app.state.cases
    settings = service.settings
    try:
        claims = tokens.decode_access_token(bearer_token(request), settings, service.clock.now())
        principal = principal_from_claims(claims)
    except (tokens.TokenError, KeyError, ValueError) as exc:
        raise unauthorized(str(exc) or "invalid access token") from exc
    if settings.check_active_each_request and (reason := await _stale_reason(service, principal)):
        raise unauthorized(reason)
    return principal


async def _documented_principal(request: Request, _token: Annotated[str | None, Depends(OAUTH2)]) -> Principal:
    return await current_principal(request)


Staff = Annotated[Principal, Depends(_documented_principal)]


def require(permission: str) -> Callable:
    """Dependency factory: the principal when their role grants ``permission``, else 403."""

    async def dependency(principal: Staff) -> Principal:
        if not can(principal, permission):
            raise forbidden(permission)
        return principal

    return dependency
