"""The metrics rollup: counters of clocks per UTC start day and value of each group dimension.

A clock counts once in each dimension (policy, branch, business line, channel), so reading one
dimension scans days x values rows, not every combination of the four.

Every change to a clock row goes through ``insert_clock``/``update_clock``, which add the
difference between the row's contribution after and before the change. The differences of a
transaction are merged per rollup key and appended to ``sla_rollup_deltas`` just before it
commits (no shared row is updated, so concurrent transactions never queue on a hot rollup row);
``fold`` moves them into ``sla_clock_rollup`` in the background. Rollup plus unfolded deltas
always equals a direct count over ``sla_clocks``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import date, datetime, timezone
from types import SimpleNamespace

from sqlalchemy import and_, case, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.db import is_postgres, pending_until_commit
from shared.uow import UnitOfWork
from sla_tracker import queued
from sla_tracker.models import DECISION_BUCKET_HOURS, ROLLUP_COUNTERS, clock_rollup, clocks, rollup_deltas

OPEN_STATES = ("running", "paused", "breached")
# Clocks whose stop is the complaint's decision or final reply: time-to-decision is read from these.
DECISION_CLOCKS = ("decision", "reply", "final_response", "handling")
GROUP_COLUMNS = ("policy", "branch_code", "business_line", "channel")
FIFTEEN_DAYS_S = 15 * 86400
PENDING = "sla_rollup_pending"
KEY = ("day", "dimension", "value")
FOLD_BATCH = 20_000  # deltas moved per fold transaction
FOLD_LOCK = zlib.crc32(rollup_deltas.name.encode())  # advisory lock: one folder at a time on PostgreSQL


def bucket_of(seconds: float) -> int:
    """Index of the decision-time histogram bucket holding a duration."""
    for index, upper in enumerate(DECISION_BUCKET_HOURS):
        if seconds < upper * 3600:
            return index
    return len(DECISION_BUCKET_HOURS)


def keys_of(row: dict) -> list[tuple]:
    """The rollup rows a clock counts in: (UTC start day, dimension, value) per group dimension."""
    day = utc_day(row["started_at"])
    return [(day, name, row.get(name) or "") for name in GROUP_COLUMNS]


def contribution(row: dict) -> Counter:
    """What one clock adds to its rollup row; informational and cancelled clocks add nothing."""
    if row.get("informational") or row["state"] == "cancelled":
        return Counter()
    counts = Counter(opened=1, open=int(row["state"] in OPEN_STATES), warned=int((row.get("warned_level") or 0) > 0),
                     breached=int(row.get("breached_at") is not None), met=int(row.get("outcome") == "met"),
                     missed=int(row.get("outcome") == "missed"))
    if row["clock_name"] in DECISION_CLOCKS and row.get("outcome") is not None:
        seconds = (row["stopped_at"] - row["started_at"]).total_seconds()
        counts.update({"decided": 1, "decided_15d": int(seconds <= FIFTEEN_DAYS_S), f"b{bucket_of(seconds):02d}": 1})
    return +counts  # drop zero counts


async def insert_clock(uow: UnitOfWork, values: dict) -> None:
    """Count a new clock and queue its row: queued rows are inserted together before the next read or COMMIT."""
    queued.add(uow.session, clocks, values)
    await _apply(uow, {}, values)


async def read_clocks(uow: UnitOfWork, query) -> list:
    """Rows of a query over ``sla_clocks`` that also sees the clocks this transaction queued."""
    await queued.write(uow.session, clocks)
    return (await uow.session.execute(query)).all()


async def update_clock(uow: UnitOfWork, clock_id: str, **values) -> SimpleNamespace:
    """Update a clock row and move its counts; return the row as now stored.

    The row is re-read (locked on PostgreSQL) first, so a stale copy cannot skew the counts.
    """
    query = select(clocks).where(clocks.c.id == clock_id)
    if is_postgres(uow.session.bind):
        query = query.with_for_update()
    [before] = [dict(row._mapping) for row in await read_clocks(uow, query)]
    await uow.session.execute(update(clocks).where(clocks.c.id == clock_id).values(**values))
    await _apply(uow, before, before | values)
    return SimpleNamespace(**(before | values))


async def _apply(uow: UnitOfWork, before: dict, after: dict) -> None:
    pending = _pending(uow.session)
    for row, sign in ((before, -1), (after, 1)):
        counts = contribution(row) if row else Counter()
        for key in keys_of(row) if counts else []:
            pending.setdefault(key, Counter()).update({k: sign * v for k, v in counts.items()})


def _pending(session: AsyncSession) -> dict[tuple, Counter]:
    # Deltas are merged in memory and appended just before COMMIT: one row per touched key and
    # transaction, however many clocks the transaction changed.
    return pending_until_commit(session, PENDING, _flush)


def _flush(session: Session, pending: dict[tuple, Counter]) -> None:
    rows = [dict(zip(KEY, key)) | {name: counts.get(name, 0) for name in ROLLUP_COUNTERS}
            for key, counts in sorted(pending.items()) if any(counts.values())]
    if rows:
        session.execute(insert(rollup_deltas), rows)


async def fold(session: AsyncSession, limit: int = FOLD_BATCH) -> int:
    """Move up to ``limit`` of the oldest deltas into the rollup, in the session's transaction; how many moved.

    Safe beside writers and other folders: PostgreSQL folders take turns on an advisory lock (the
    loser moves nothing) and each moves exactly the rows its DELETE removed; SQLite's BEGIN
    IMMEDIATE already makes the transaction the only writer.
    """
    if session.bind.dialect.name != "postgresql":
        return await _fold_sqlite(session)
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(FOLD_LOCK))):
        return 0
    d = rollup_deltas.c
    oldest = select(d.id).order_by(d.id).limit(limit)
    moved = (delete(rollup_deltas).where(d.id.in_(oldest))
             .returning(*(d[name] for name in (*KEY, *ROLLUP_COUNTERS))).cte("moved"))
    # DELETE ... RETURNING feeds the upsert in one statement: a delta is folded iff it was deleted.
    upsert = _add_to_rollup(postgresql.insert(clock_rollup), _summed(moved)).cte("folded")
    return await session.scalar(select(func.count()).select_from(moved).add_cte(upsert))


async def _fold_sqlite(session: AsyncSession) -> int:
    last = await session.scalar(select(func.max(rollup_deltas.c.id)))
    if last is None:
        return 0
    source = select(rollup_deltas).where(rollup_deltas.c.id <= last).subquery()
    await session.execute(_add_to_rollup(sqlite.insert(clock_rollup), _summed(source)))
    result = await session.execute(delete(rollup_deltas).where(rollup_deltas.c.id <= last))
    return result.rowcount


def _summed(source):
    """Deltas summed per rollup key, in key order (so upserts lock rollup rows in a fixed order)."""
    key = [source.c[name] for name in KEY]
    sums = [func.sum(source.c[name]).label(name) for name in ROLLUP_COUNTERS]
    return select(*key, *sums).group_by(*key).order_by(*key)


def _add_to_rollup(statement, summed):
    """INSERT ... SELECT ... ON CONFLICT: add summed deltas to each key's counters (new rows start at zero)."""
    statement = statement.from_select([*KEY, *ROLLUP_COUNTERS], summed)
    return statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: clock_rollup.c[name] + statement.excluded[name] for name in ROLLUP_COUNTERS})


def backfill_select(postgres: bool, dimension: str):
    """An INSERT ... SELECT source that recounts one dimension of the rollup from ``sla_clocks``."""
    c = clocks.c
    counted = and_(c.informational.is_(False), c.state != "cancelled")
    decided = and_(c.clock_name.in_(DECISION_CLOCKS), c.outcome.is_not(None))
    seconds = (func.extract("epoch", c.stopped_at - c.started_at) if postgres
               else (func.julianday(c.stopped_at) - func.julianday(c.started_at)) * 86400)
    day = cast(func.timezone("UTC", c.started_at), postgresql.DATE) if postgres else func.date(c.started_at)
    total = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    counters = {"opened": func.count(), "open": total(c.state.in_(OPEN_STATES)), "warned": total(c.warned_level > 0),
                "breached": total(c.breached_at.is_not(None)), "met": total(c.outcome == "met"),
                "missed": total(c.outcome == "missed"), "decided": total(decided),
                "decided_15d": total(and_(decided, seconds <= FIFTEEN_DAYS_S))}
    bounds = [0, *DECISION_BUCKET_HOURS, None]
    for index, (low, high) in enumerate(zip(bounds, bounds[1:])):
        condition = [decided, seconds >= low * 3600] + ([seconds < high * 3600] if high else [])
        counters[f"b{index:02d}"] = total(and_(*condition))
    value = func.coalesce(c[dimension], literal(""))
    columns = [day.label("day"), literal(dimension).label("dimension"), value.label("value")]
    return (select(*columns, *(counters[n].label(n) for n in ROLLUP_COUNTERS))
            .where(counted).group_by(day, value))


def rebuild_statements(postgres: bool) -> list:
    """Statements that recount the whole rollup from the clocks (migration backfill, bulk loads)."""
    sources = [backfill_select(postgres, dimension) for dimension in GROUP_COLUMNS]
    return [clock_rollup.delete(), *(insert(clock_rollup).from_select(list(s.selected_columns.keys()), s)
                                     for s in sources)]


async def rebuild(conn) -> None:
    """Recount the rollup on an async connection (after a bulk load that bypassed the handlers)."""
    await conn.execute(delete(rollup_deltas))
    for statement in rebuild_statements(conn.dialect.name == "postgresql"):
        await conn.execute(statement)


def utc_day(instant: datetime) -> date:
    """The UTC calendar day of an instant (the rollup's day)."""
    return instant.astimezone(timezone.utc).date()
