"""Channel API keys: issued once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select

from intake.models import api_keys
from shared.uow import UnitOfWork

REVEAL_SCOPE = "pii:reveal"


@dataclass(frozen=True)
class ApiKey:
    """What a live key may do."""

    id: str
    channels: list[str]
    rate_limit_per_s: float | None = None
    scopes: frozenset[str] = frozenset()


def hash_api_key(key: str) -> str:
    """Keys are random 256-bit secrets, so a plain SHA-256 is a safe lookup hash."""
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    uow: UnitOfWork, *, channels: list[str], label: str | None = None,
    rate_limit_per_s: float | None = None, scopes: list[str] | None = None,
) -> str:
    """Issue a key for some channels (optionally its own rate and scopes); only its hash is stored."""
    key = f"ksk_{secrets.token_urlsafe(32)}"
    await uow.session.execute(
        insert(api_keys).values(
            id=str(uuid.uuid4()), key_hash=hash_api_key(key), channels=sorted(set(channels)),
            label=label, created_at=uow.clock.now(), rate_limit_per_s=rate_limit_per_s,
            scopes=sorted(set(scopes)) if scopes else None,
        )
    )
    return key


async def key_for(uow: UnitOfWork, key: str) -> ApiKey | None:
    """The live key with this secret, or None for an unknown or revoked one."""
    query = select(api_keys).where(api_keys.c.key_hash == hash_api_key(key), api_keys.c.revoked_at.is_(None))
    row = (await uow.session.execute(query)).first()
    if row is None:
        return None
    return ApiKey(row.id, list(row.channels), row.rate_limit_per_s, frozenset(row.scopes or ()))


async def channels_for_key(uow: UnitOfWork, key: str) -> list[str] | None:
    """The channels a live key may submit for, or None for an unknown or revoked key."""
    found = await key_for(uow, key)
    return found.channels if found else None
