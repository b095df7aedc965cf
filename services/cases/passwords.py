"""Credentials: argon2id hashing, the password policy and login rate limiting."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select

from services.cases.models import login_attempts
from shared.http import Problem

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# argon2-cffi's defaults (RFC 9106 low-memory profile) when no settings are at hand.
DEFAULT_HASHER = PasswordHasher(type=Type.ID)


def hasher_for(settings: Any) -> PasswordHasher:
    """An argon2id hasher with the configured cost parameters."""
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost_kib,
                          parallelism=settings.argon2_parallelism, type=Type.ID)


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2id hash ($argon2id$...) of a password."""
    return (hasher or DEFAULT_HASHER).hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher | None = None) -> bool:
    """True when the password matches the stored hash."""
    try:
        return (hasher or DEFAULT_HASHER).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher | None = None) -> bool:
    """True when the hash was made with other parameters than the hasher's (upgrade it at login)."""
    return (hasher or DEFAULT_HASHER).check_needs_rehash(stored_hash)


def policy_violation(password: str, username: str) -> str | None:
    """Why a password is refused, or None when it meets the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if password.strip().casefold() == username.strip().casefold():
        return "must not equal the username"
    return None


def check_policy(password: str, username: str) -> None:
    """Raise a 422 problem naming the ``password`` field when the policy refuses the password."""
    reason = policy_violation(password, username)
    if reason:
        raise Problem(422, "Validation failed", f"password {reason}.",
                      errors=[{"field": "password", "message": f"password {reason}", "type": "password_policy"}])


def generate_password() -> str:
    """A strong random password (about 144 bits), shown once to whoever creates the user."""
    return secrets.token_urlsafe(18)


# --- login rate limiting -----------------------------------------------------------------------

@dataclass(frozen=True)
class LoginLimits:
    """How many failures, within which window, before logins are refused."""

    max_failures: int
    max_client_failures: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Any) -> LoginLimits:
        """The limits the settings configure."""
        return cls(settings.login_max_failures, settings.login_max_client_failures,
                   timedelta(seconds=settings.login_window_s))


async def _failure_times(session, condition, since: datetime) -> list[datetime]:
    query = (select(login_attempts.c.attempted_at)
             .where(condition, login_attempts.c.succeeded.is_(False), login_attempts.c.attempted_at > since)
             .order_by(login_attempts.c.attempted_at))
    return list((await session.execute(query)).scalars())


async def _last_success(session, username: str, since: datetime) -> datetime | None:
    query = select(func.max(login_attempts.c.attempted_at)).where(
        login_attempts.c.username == username, login_attempts.c.succeeded.is_(True),
        login_attempts.c.attempted_at > since)
    return (await session.execute(query)).scalar()


def _wait_seconds(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    if len(times) < limit:
        return None
    # Logins open again when enough failures have aged out of the window.
    reopens = times[len(times) - limit] + window
    return max(1, math.ceil((reopens - now).total_seconds()))


async def retry_after(session, *, username: str, client: str | None, limits: LoginLimits,
                      now: datetime) -> int | None:
    """Seconds until this username/client may try again, or None when not limited.

    A success resets the username's count, not the client's: one address guessing many
    accounts stays limited even if it also owns a valid login.
    """
    since = now - limits.window
    user_since = max(since, await _last_success(session, username, since) or since)
    user_failures = await _failure_times(session, login_attempts.c.username == username, user_since)
    waits = [_wait_seconds(user_failures, limits.max_failures, limits.window, now)]
    if client:
        client_failures = await _failure_times(session, login_attempts.c.client == client, since)
        waits.append(_wait_seconds(client_failures, limits.max_client_failures, limits.window, now))
    found = [w for w in waits if w is not None]
    return max(found) if found else None


async def record_attempt(session, *, username: str, client: str | None, succeeded: bool, now: datetime,
                         limits: LoginLimits) -> None:
    """Remember a login attempt and prune attempts older than the window."""
    await session.execute(insert(login_attempts).values(
        username=username, client=client, succeeded=succeeded, attempted_at=now))
    await session.execute(delete(login_attempts).where(login_attempts.c.attempted_at < now - limits.window))


def too_many_attempts(wait_s: int) -> Problem:
    """The 429 problem with its Retry-After header."""
    problem = Problem(429, "Too Many Requests",
                      f"Too many failed logins; try again in {wait_s} s.", error="too_many_attempts")
    problem.headers["Retry-After"] = str(wait_s)
    return problem
