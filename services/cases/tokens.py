"""Staff tokens: short-lived HS256 access JWTs and rotating, family-revocable refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
import structlog
from sqlalchemy import insert, select, update

from services.cases.models import refresh_tokens
from shared import staff

if TYPE_CHECKING:
    from shared.staff import Principal

log = structlog.get_logger()
ALGORITHM = staff.ALGORITHM
# Re-exported: the cases routes and tests catch it from here.
TokenError = staff.TokenError


def jwt_secret(settings: Any) -> str:
    """The signing key of staff access tokens (configured, else generated once into data_dir)."""
    return staff.signing_key(settings, create=True)


def issue_access_token(principal: Principal, settings: Any, now: datetime) -> str:
    """A signed access token for the principal, valid ``access_token_ttl_s`` from ``now``."""
    claims = {
        "sub": principal.user_id, "username": principal.username, "role": str(principal.role),
        "org": principal.org_code, "org_path": principal.org_path, "team": principal.team,
        "iat": int(now.timestamp()), "exp": int(now.timestamp()) + settings.access_token_ttl_s,
        "jti": str(uuid.uuid4()), "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
    }
    return jwt.encode(claims, jwt_secret(settings), algorithm=ALGORITHM)


def decode_access_token(token: str, settings: Any, now: datetime) -> dict:
    """The claims of a valid token, judged at ``now`` (the injectable clock), or TokenError."""
    return staff.decode_access_token(token, jwt_secret(settings), settings, now)


# --- refresh tokens ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Refreshed:
    """The outcome of a rotation: whose token it was and its replacement."""

    user_id: str
    token: str


def _hash(token: str) -> str:
    # Refresh tokens are 256-bit random values, so a plain SHA-256 is a safe lookup hash.
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_refresh_token(session, *, user_id: str, settings: Any, now: datetime,
                              family_id: str | None = None) -> tuple[str, str]:
    """Store a new refresh token (a new family unless given); returns (token, its row id)."""
    token = f"ksr_{secrets.token_urlsafe(32)}"
    row_id = str(uuid.uuid4())
    await session.execute(insert(refresh_tokens).values(
        id=row_id, user_id=user_id, token_hash=_hash(token), issued_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s), family_id=family_id or row_id,
    ))
    return token, row_id


async def _row_for(session, token: str):
    query = select(refresh_tokens).where(refresh_tokens.c.token_hash == _hash(token)).with_for_update()
    return (await session.execute(query)).first()


async def rotate_refresh_token(session, token: str, *, settings: Any, now: datetime) -> Refreshed:
    """Spend a refresh token for a new one of the same family; reuse revokes the family.

    Raises TokenError for unknown, expired, revoked or reused tokens. The caller must commit
    even on TokenError, so that a reuse-triggered family revocation sticks.
    """
    row = await _row_for(session, token)
    if row is None:
        raise TokenError("unknown refresh token")
    if row.replaced_by is not None:
        await revoke_family(session, row.family_id, now=now)
        log.warning("rotated refresh token reused; family revoked", user_id=row.user_id, family=row.family_id)
        raise TokenError("refresh token reuse detected; every session of this login was revoked")
    if row.revoked_at is not None:
        raise TokenError("the refresh token was revoked")
    if now >= row.expires_at:
        raise TokenError("the refresh token has expired")
    new_token, new_id = await issue_refresh_token(session, user_id=row.user_id, settings=settings,
                                                  now=now, family_id=row.family_id)
    await session.execute(update(refresh_tokens).where(refresh_tokens.c.id == row.id)
                          .values(replaced_by=new_id, revoked_at=now))
    return Refreshed(user_id=row.user_id, token=new_token)


async def revoke_family(session, family_id: str, *, now: datetime) -> None:
    """Revoke every still-live token of one login."""
    await session.execute(update(refresh_tokens)
                          .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now))


async def revoke_token(session, token: str, *, user_id: str, now: datetime) -> bool:
    """Revoke the family of one of this user's refresh tokens; False when it is not theirs."""
    row = await _row_for(session, token)
    if row is None or row.user_id != user_id:
        return False
    await revoke_family(session, row.family_id, now=now)
    return True


async def revoke_user(session, user_id: str, *, now: datetime) -> None:
    """Revoke every live refresh token of a user (logout everywhere, deactivation)."""
    await session.execute(update(refresh_tokens)
                          .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now))
