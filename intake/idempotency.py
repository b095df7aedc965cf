"""Idempotency-Key semantics: the request fingerprint and what a stored record means. Pure logic."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import Enum

KEY_PATTERN = re.compile(r"[A-Za-z0-9._:\-]{1,200}")


class Outcome(Enum):
    """What to do with a request whose Idempotency-Key has been seen."""

    REPLAY = "replay"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Stored:
    """The first response given for a key."""

    fingerprint: str
    status: int
    body: dict


def fingerprint(route: str, payload: object) -> str:
    """SHA-256 of the route and the canonical JSON of the parsed body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


def decide(stored: Stored, request_fingerprint: str) -> Outcome:
    """Same body: replay the first response; a different body under the same key: conflict."""
    return Outcome.REPLAY if stored.fingerprint == request_fingerprint else Outcome.CONFLICT


def valid_key(key: str) -> bool:
    """Keys are opaque, printable and at most 200 characters (UUIDs recommended)."""
    return bool(KEY_PATTERN.fullmatch(key))
