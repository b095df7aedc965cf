"""Who is calling: roles, permissions, the bearer-token dependency and org-subtree scoping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import ColumnElement, select, true

from services.cases import tokens
from services.cases.models import users
from shared.http import Problem


class Role(StrEnum):
    """The staff roles of issue 7."""

    HANDLER = "handler"
    TEAM_LEAD = "team_lead"
    BRANCH_HEAD = "branch_head"
    COMPLAINT_OFFICER = "complaint_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """An authenticated staff member as the token describes them."""

    user_id: str
    username: str
    role: Role
    org_code: str
    org_path: str
    team: str | None


# Handlers call complainants back, so they may reveal personal data, but only of their own cases
# (access.revealable_case); auditors and admins never see it.
_HANDLER = frozenset({"cases:read", "cases:work", "cases:extend", "cases:decide", "cases:reclassify", "pii:reveal"})
_TEAM_LEAD = _HANDLER | {"cases:assign"}
_BRANCH_HEAD = _TEAM_LEAD | {"cases:approve_extension"}

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.HANDLER: _HANDLER,
    Role.TEAM_LEAD: _TEAM_LEAD,
    Role.BRANCH_HEAD: _BRANCH_HEAD,
    Role.COMPLAINT_OFFICER: _BRANCH_HEAD | {"cases:escalate_receive", "audit:read"},
    Role.AUDITOR: frozenset({"cases:read", "audit:read", "audit:verify"}),
    Role.ADMIN: frozenset({"users:manage", "orgs:manage", "audit:read", "audit:verify"}),
}


def can(principal: Principal, permission: str) -> bool:
    """True when the principal's role grants the permission."""
    return permission in PERMISSIONS[principal.role]


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


def _unauthorized(detail: str) -> Problem:
    problem = Problem(401, "Unauthorized", detail, error="invalid_token")
    problem.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return problem


def _bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        problem = Problem(401, "Unauthorized", "A Bearer access token is required (POST /v1/auth/token).")
        problem.headers["WWW-Authenticate"] = "Bearer"
        raise problem
    return token.strip()


def principal_from_claims(claims: dict) -> Principal:
    """The principal an access token's claims describe."""
    return Principal(user_id=claims["sub"], username=claims["username"], role=Role(claims["role"]),
                     org_code=claims["org"], org_path=claims["org_path"], team=claims.get("team"))


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
        claims = tokens.decode_access_token(_bearer_token(request), settings, service.clock.now())
        principal = principal_from_claims(claims)
    except (tokens.TokenError, KeyError, ValueError) as exc:
        raise _unauthorized(str(exc) or "invalid access token") from exc
    if settings.check_active_each_request and (reason := await _stale_reason(service, principal)):
        raise _unauthorized(reason)
    return principal


# Declares the OAuth2 password flow in the OpenAPI document (the /docs "Authorize" button);
# current_principal does the actual checking.
_OAUTH2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


async def _documented_principal(request: Request, _token: Annotated[str | None, Depends(_OAUTH2)]) -> Principal:
    return await current_principal(request)


Staff = Annotated[Principal, Depends(_documented_principal)]


def forbidden(permission: str) -> Problem:
    """The 403 problem naming the permission the caller lacks."""
    return Problem(403, "Forbidden", f"This action requires the permission {permission!r}.",
                   missing_permission=permission)


def require(permission: str) -> Callable:
    """Dependency factory: the principal when their role grants ``permission``, else 403."""

    async def dependency(principal: Staff) -> Principal:
        if not can(principal, permission):
            raise forbidden(permission)
        return principal

    return dependency
