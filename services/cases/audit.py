"""The append-only audit log: every row hashes its content and its predecessor's hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, insert, select, text

from services.cases.models import audit_log

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same in every process appending to this log.
_ADVISORY_LOCK_KEY = 0x6B657375_61756474  # "kesu" "audt"
_VERIFY_BATCH = 1000


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found: ok, how many rows it checked, and the first bad one."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    last_hash: str | None = None


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _plain(details: dict | None) -> dict:
    # Stored and hashed in the same JSON-native form, so a read-back hashes identically.
    return json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))


def entry_hash(*, seq: int, at: datetime, actor: str, action: str, subject_type: str, subject_id: str | None,
               reason: str | None, details: dict, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of an entry and prev_hash."""
    canonical = json.dumps(
        {"seq": seq, "at": _iso(at), "actor": actor, "action": action, "subject_type": subject_type,
         "subject_id": subject_id, "reason": reason, "details": details, "prev_hash": prev_hash},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def _serialise_appends(session) -> None:
    # Two writers must not both read the same head. SQLite's BEGIN IMMEDIATE already holds the
    # database write lock; PostgreSQL takes a transaction-scoped advisory lock.
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


async def _head(session) -> tuple[int, str]:
    row = (await session.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1))).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


async def record(session, *, actor: str, action: str, subject_type: str, subject_id: str | None,
                 reason: str | None = None, details: dict | None = None, at: datetime) -> None:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    await _serialise_appends(session)
    last_seq, prev_hash = await _head(session)
    entry = {"seq": last_seq + 1, "at": at, "actor": actor, "action": action, "subject_type": subject_type,
             "subject_id": subject_id, "reason": reason, "details": _plain(details)}
    await session.execute(insert(audit_log).values(
        **entry, prev_hash=prev_hash, hash=entry_hash(**entry, prev_hash=prev_hash)))


def _check_row(row, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}, found {row.seq} (rows missing)"
    if row.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry's hash"
    recomputed = entry_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                            subject_type=row.subject_type, subject_id=row.subject_id, reason=row.reason,
                            details=row.details, prev_hash=row.prev_hash)
    if recomputed != row.hash:
        return "content does not match its hash (altered)"
    return None


async def verify(session, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the whole chain in seq order; report the first row that breaks it.

    ``anchor`` is a (seq, hash) recorded earlier outside the database (e.g. the head printed by a
    daily verify): a chain that no longer reaches it, or holds another hash there, was truncated
    or rebuilt, which the chain alone cannot show.
    """
    checked, expected_seq, prev_hash = 0, 1, GENESIS_HASH
    while True:
        query = select(audit_log).where(audit_log.c.seq >= expected_seq).order_by(audit_log.c.seq).limit(_VERIFY_BATCH)
        rows = (await session.execute(query)).all()
        for row in rows:
            problem = _check_row(row, expected_seq, prev_hash) or _check_anchor(row, anchor)
            if problem:
                bad_seq = min(row.seq, expected_seq)
                return VerifyResult(False, checked, bad_seq, f"seq {bad_seq}: {problem}")
            checked, expected_seq, prev_hash = checked + 1, row.seq + 1, row.hash
        if len(rows) < _VERIFY_BATCH:
            break
    if anchor is not None and checked < anchor[0]:
        problem = f"the chain ends at seq {checked} but the anchor is seq {anchor[0]} (entries removed from the end)"
        return VerifyResult(False, checked, checked + 1, problem)
    return VerifyResult(True, checked, last_hash=prev_hash)


def _check_anchor(row, anchor: tuple[int, str] | None) -> str | None:
    if anchor is not None and row.seq == anchor[0] and row.hash != anchor[1]:
        return "hash differs from the anchor recorded earlier (the chain was rebuilt)"
    return None


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by verify; ValueError naming the expected form otherwise."""
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("anchor must be SEQ:HASH, e.g. 1204:<64 hex digits> as printed by verify")
    return int(seq), digest


@dataclass(frozen=True)
class AuditFilter:
    """Which entries ``entries`` returns."""

    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(flt: AuditFilter) -> list:
    conditions = [column == value for column, value in (
        (audit_log.c.actor, flt.actor), (audit_log.c.action, flt.action),
        (audit_log.c.subject_type, flt.subject_type), (audit_log.c.subject_id, flt.subject_id),
    ) if value is not None]
    if flt.since is not None:
        conditions.append(audit_log.c.at >= flt.since)
    if flt.until is not None:
        conditions.append(audit_log.c.at < flt.until)
    return conditions


async def entries(session, flt: AuditFilter, *, limit: int, before_seq: int | None = None,
                  scope: ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
    """Matching entries (within ``scope``), newest first; page on with ``before_seq`` = the last seq returned."""
    conditions = _conditions(flt) + ([scope] if scope is not None else [])
    if before_seq is not None:
        conditions.append(audit_log.c.seq < before_seq)
    query = select(audit_log).where(*conditions).order_by(audit_log.c.seq.desc()).limit(limit)
    return [dict(row._mapping) for row in (await session.execute(query)).all()]
