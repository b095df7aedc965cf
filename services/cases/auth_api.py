"""Staff HTTP routes: OAuth2 tokens, /v1/me, users, orgs and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from services.cases import audit, passwords, staff_api, tokens, users
from services.cases.security import PERMISSIONS, Principal, Staff
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["staff"])
router.include_router(staff_api.router)
CasesService = staff_api.CasesService


class TokenResponse(BaseModel):
    """An OAuth2 token response (RFC 6749 §5.1) with the rotating refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _invalid_grant(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, error="invalid_grant")


def _missing(field: str) -> Problem:
    return Problem(422, "Validation failed", f"{field} is required for this grant_type.",
                   errors=[{"field": field, "message": "field required", "type": "missing"}])


def _token_response(service: Any, principal: Principal, refresh_token: str, now: datetime) -> TokenResponse:
    settings = service.settings
    return TokenResponse(access_token=tokens.issue_access_token(principal, settings, now),
                         expires_in=settings.access_token_ttl_s, refresh_token=refresh_token)


async def _password_grant(service: Any, username: str, password: str, client: str | None) -> TokenResponse | None:
    settings, now = service.settings, service.clock.now()
    limits, hasher = passwords.LoginLimits.from_settings(settings), passwords.hasher_for(settings)
    key = username.strip().lower()
    async with service.unit_of_work() as uow:
        wait_s = await passwords.retry_after(uow.session, username=key, client=client, limits=limits, now=now)
        found = None if wait_s else await users.get_by_username(uow.session, key)
    if wait_s:
        raise passwords.too_many_attempts(wait_s)
    # Verified outside any transaction: argon2 is slow by design and must not hold SQLite's write lock.
    ok = await users.credentials_match(found, password, hasher)
    async with service.unit_of_work() as uow:
        await passwords.record_attempt(uow.session, username=key, client=client, succeeded=ok, now=now, limits=limits)
        if not ok:
            await audit.record(uow.session, actor=key, action="auth.login_failed", subject_type="user",
                               subject_id=found[0]["id"] if found else None, details={"client": client}, at=now)
            return None
        row, path = found
        await users.upgrade_hash(uow.session, row, password, hasher)
        refresh, _ = await tokens.issue_refresh_token(uow.session, user_id=row["id"], settings=settings, now=now)
        await audit.record(uow.session, actor=key, action="auth.login", subject_type="user", subject_id=row["id"],
                           details={"client": client}, at=now)
    return _token_response(service, users.principal_for(row, path), refresh, now)


async def _refresh_grant(service: Any, refresh_token: str) -> TokenResponse:
    settings, now = service.settings, service.clock.now()
    failure = None
    async with service.unit_of_work() as uow:
        try:
            refreshed = await tokens.rotate_refresh_token(uow.session, refresh_token, settings=settings, now=now)
            found = await users.get_user(uow.session, refreshed.user_id)
            if found is None or not found[0]["active"]:
                await tokens.revoke_user(uow.session, refreshed.user_id, now=now)
                raise tokens.TokenError("the user is deactivated")
        except tokens.TokenError as exc:
            failure = exc  # committed regardless: a detected reuse must stay revoked
    if failure is not None:
        raise _invalid_grant(str(failure))
    return _token_response(service, users.principal_for(*found), refreshed.token, now)


@router.post("/auth/token", response_model=TokenResponse, tags=["auth"])
async def issue_token(
    request: Request, service: CasesService,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=passwords.MAX_PASSWORD_LENGTH)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenResponse:
    """OAuth2 token endpoint: the password grant (log in) or the refresh_token grant (rotate)."""
    if grant_type == "refresh_token":
        if not refresh_token:
            raise _missing("refresh_token")
        return await _refresh_grant(service, refresh_token)
    if not username:
        raise _missing("username")
    if not password:
        raise _missing("password")
    response = await _password_grant(service, username, password, _client(request))
    if response is None:
        raise _invalid_grant("invalid username or password")
    return response


@router.post("/auth/refresh", response_model=TokenResponse, tags=["auth"])
async def refresh(service: CasesService, refresh_token: Annotated[str, Form(max_length=200)]) -> TokenResponse:
    """Spend a refresh token for a new access and refresh token."""
    return await _refresh_grant(service, refresh_token)


@router.post("/auth/logout", status_code=204, tags=["auth"])
async def logout(service: CasesService, principal: Staff,
                 refresh_token: Annotated[str | None, Form(max_length=200)] = None) -> Response:
    """Revoke the given refresh token's login, or every login of the caller when none is given."""
    now = service.clock.now()
    async with service.unit_of_work() as uow:
        if refresh_token:
            await tokens.revoke_token(uow.session, refresh_token, user_id=principal.user_id, now=now)
        else:
            await tokens.revoke_user(uow.session, principal.user_id, now=now)
        await audit.record(uow.session, actor=principal.username, action="auth.logout", subject_type="user",
                           subject_id=principal.user_id, details={"all_sessions": not refresh_token}, at=now)
    return Response(status_code=204)


@router.get("/me", tags=["auth"])
async def me(service: CasesService, principal: Staff) -> dict:
    """The caller's profile, org and permissions."""
    async with service.unit_of_work() as uow:
        found = await users.get_user(uow.session, principal.user_id)
    if found is None:
        raise Problem(404, "Not Found", "the user no longer exists")
    return {**users.public(*found), "permissions": sorted(PERMISSIONS[principal.role])}
