"""Satisfaction-survey link tokens (pure): random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime


def new_token() -> str:
    """A fresh URL-safe token (256 bits) for a one-time survey link."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 hex of a token: what the database keeps, so a leaked table reveals no link."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_state(*, completed_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    """``open``, ``used`` or ``expired``: whether a survey link may still be answered."""
    if completed_at is not None:
        return "used"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "open"
