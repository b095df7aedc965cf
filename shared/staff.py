"""Staff identity for every service's HTTP API: roles, permissions and the access tokens the cases service issues.

The cases service keeps the users, the org tree and the login; it signs short-lived HS256
access tokens. Every other service verifies the same tokens with the same key
(``KESU_STAFF_JWT_SECRET``) and checks the role's permissions from the one table below, so a
role means the same thing on every API.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from shared.clock import Clock
from shared.http import Problem

log = structlog.get_logger()
ALGORITHM = "HS256"
SECRET_FILE = "staff-jwt-secret"
REQUIRED_CLAIMS = ["sub", "username", "role", "org", "org_path", "iat", "exp", "jti", "iss", "aud"]


class Role(StrEnum):
    """The staff roles."""

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
# (the cases service checks ownership); auditors and admins never see it.
_HANDLER = frozenset({"cases:read", "cases:work", "cases:extend", "cases:decide", "cases:reclassify", "pii:reveal",
                      "sla:read", "classify:try"})
_TEAM_LEAD = _HANDLER | {"cases:assign", "notifications:read"}
_BRANCH_HEAD = _TEAM_LEAD | {"cases:approve_extension"}

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.HANDLER: _HANDLER,
    Role.TEAM_LEAD: _TEAM_LEAD,
    Role.BRANCH_HEAD: _BRANCH_HEAD,
    Role.COMPLAINT_OFFICER: _BRANCH_HEAD | {"cases:escalate_receive", "audit:read", "notifications:manage"},
    Role.AUDITOR: frozenset({"cases:read", "audit:read", "audit:verify", "sla:read", "notifications:read"}),
    Role.ADMIN: frozenset({"users:manage", "orgs:manage", "audit:read", "audit:verify", "sla:read",
                           "notifications:read", "notifications:manage", "webhooks:manage", "directory:manage",
                           "classify:try"}),
}


def can(principal: Principal, permission: str) -> bool:
    """True when the principal's role grants the permission."""
    return permission in PERMISSIONS[principal.role]


class TokenError(Exception):
    """An access token that must not be honoured; the message says why."""


def signing_key(settings: Any, *, create: bool) -> str | None:
    """The configured key; else the one kept in data_dir (generated there when ``create``), else None.

    The issuer (cases) creates it; verifiers only read it, so a verifier on another host without
    the setting refuses every token instead of inventing a key nobody signs with.
    """
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if len(secret) < 32:
            raise ValueError("KESU_STAFF_JWT_SECRET must be at least 32 characters")
        return secret
    path = Path(settings.data_dir) / SECRET_FILE
    if create or path.exists():
        return _persisted_secret(path)  # cached: read once per process
    return None


@cache
def _persisted_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes race, one writes and both read the winner's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(candidate)
    log.warning("generated a staff JWT signing key; set KESU_STAFF_JWT_SECRET when services run apart",
                path=str(path))
    return candidate


def decode_access_token(token: str, key: str, settings: Any, now: datetime) -> dict:
    """The claims of a valid access token, judged at ``now`` (the injectable clock), or TokenError."""
    try:
        # Expiry is checked below against the service clock, not the wall clock PyJWT would use.
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=settings.jwt_audience,
                            issuer=settings.jwt_issuer,
                            options={"verify_exp": False, "verify_iat": False, "require": REQUIRED_CLAIMS})
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid access token: {exc}") from exc
    if now.timestamp() >= claims["exp"]:
        raise TokenError("the access token has expired")
    return claims


def principal_from_claims(claims: dict) -> Principal:
    """The principal an access token's claims describe."""
    return Principal(user_id=claims["sub"], username=claims["username"], role=Role(claims["role"]),
                     org_code=claims["org"], org_path=claims["org_path"], team=claims.get("team"))


def unauthorized(detail: str) -> Problem:
    """401 problem+json with the Bearer challenge."""
    problem = Problem(401, "Unauthorized", detail, error="invalid_token")
    problem.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return problem


def bearer_token(request: Request) -> str:
    """The request's Bearer token, or 401 naming where to get one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        problem = Problem(401, "Unauthorized", "A Bearer access token is required (cases: POST /v1/auth/token).")
        problem.headers["WWW-Authenticate"] = "Bearer"
        raise problem
    return token.strip()


def forbidden(permission: str) -> Problem:
    """The 403 problem naming the permission the caller lacks."""
    return Problem(403, "Forbidden", f"This action requires the permission {permission!r}.",
                   missing_permission=permission)


@dataclass(frozen=True)
class StaffGate:
    """Verifies staff access tokens for a service that does not issue them (notifier, SLA, classifier)."""

    settings: Any
    clock: Clock

    def principal(self, request: Request) -> Principal:
        """The Bearer token's principal, or 401 problem+json."""
        token = bearer_token(request)
        key = signing_key(self.settings, create=False)
        if key is None:
            raise unauthorized("staff tokens are not configured on this service: set KESU_STAFF_JWT_SECRET")
        try:
            return principal_from_claims(decode_access_token(token, key, self.settings, self.clock.now()))
        except (TokenError, KeyError, ValueError) as exc:
            raise unauthorized(str(exc) or "invalid access token") from exc


# Declares the cases service's OAuth2 password flow in each API's OpenAPI document (the lock on a
# route, the /docs "Authorize" button); StaffGate does the checking.
OAUTH2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def staff_with(permission: str | None, gate_of: Callable[[Request], StaffGate]) -> Callable:
    """A FastAPI dependency: the caller's principal when their role grants ``permission`` (None: any role)."""

    async def dependency(request: Request, _token: Annotated[str | None, Depends(OAUTH2)]) -> Principal:
        principal = gate_of(request).principal(request)
        if permission is not None and not can(principal, permission):
            raise forbidden(permission)
        return principal

    return dependency
