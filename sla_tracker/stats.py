"""SLA figures for ops teams: one aggregate query over the clocks table (SQLite and PostgreSQL)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal, select
from sqlalchemy.sql import ColumnElement

from shared.db import is_postgres
from shared.uow import UnitOfWork
from sla_tracker.models import clocks

GROUPS = {"branch": clocks.c.branch_code, "business_line": clocks.c.business_line,
          "channel": clocks.c.channel, "policy": clocks.c.policy}
# Clocks whose stop is the complaint's decision or final reply: time-to-decision is read from these.
DECISION_CLOCKS = ("decision", "reply", "final_response", "handling")
AGEING_DAYS = (3, 7, 15, 30)
OPEN = ("running", "paused", "breached")


def _buckets(now: datetime, is_open: ColumnElement) -> dict[str, ColumnElement]:
    bounds = [0, *AGEING_DAYS]
    columns = {}
    for low, high in zip(bounds, [*AGEING_DAYS, None]):
        newer = clocks.c.started_at > now - timedelta(days=low)
        older = clocks.c.started_at <= now - timedelta(days=high) if high else None
        label = f"{low}-{high}d" if high else f"{low}d+"
        conditions = [is_open] + ([] if low == 0 else [~newer]) + ([~older] if older is not None else [])
        columns[label] = func.count().filter(and_(*conditions))
    return columns


def _aggregates(now: datetime, postgres: bool) -> dict[str, ColumnElement]:
    is_open = clocks.c.state.in_(OPEN)
    decided = and_(clocks.c.clock_name.in_(DECISION_CLOCKS), clocks.c.outcome.is_not(None))
    seconds = _seconds(clocks.c.stopped_at, clocks.c.started_at, postgres)
    columns = {
        "open": func.count().filter(is_open),
        "due_24h": func.count().filter(is_open, clocks.c.due_at.between(now, now + timedelta(hours=24))),
        "due_72h": func.count().filter(is_open, clocks.c.due_at.between(now, now + timedelta(hours=72))),
        "warned": func.count().filter(clocks.c.warned_level > 0),
        "breached": func.count().filter(clocks.c.breached_at.is_not(None)),
        "met": func.count().filter(clocks.c.outcome == "met"),
        "missed": func.count().filter(clocks.c.outcome == "missed"),
        "decided": func.count().filter(decided),
        "decided_15d": func.count().filter(decided, seconds <= 15 * 86400),
    }
    if postgres:
        columns["p50_s"] = func.percentile_cont(0.5).within_group(seconds).filter(decided)
        columns["p90_s"] = func.percentile_cont(0.9).within_group(seconds).filter(decided)
    return columns | _buckets(now, is_open)


def _seconds(end, start, postgres: bool) -> ColumnElement:
    if postgres:
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


async def sla_metrics(uow: UnitOfWork, *, start: datetime, end: datetime, group_by: str | None) -> list[dict]:
    """Counts, rates, decision-time percentiles and ageing per group of clocks started in [start, end)."""
    now, postgres = uow.clock.now(), is_postgres(uow.session.bind)
    key = GROUPS[group_by] if group_by else literal("all")
    aggregates = _aggregates(now, postgres)
    query = (select(key.label("group"), *(column.label(name) for name, column in aggregates.items()))
             .where(clocks.c.started_at >= start, clocks.c.started_at < end,
                    clocks.c.informational.is_(False), clocks.c.state != "cancelled")
             .group_by(key).order_by(key))
    rows = [dict(row._mapping) for row in (await uow.session.execute(query)).all()]
    if not postgres:
        await _python_percentiles(uow, rows, key, start, end)
    return [_shape(row) for row in rows]


async def _python_percentiles(uow: UnitOfWork, rows: list[dict], key, start: datetime, end: datetime) -> None:
    # SQLite has no percentile_cont; the embedded deployment is small enough to sort in Python.
    query = select(key.label("group"), clocks.c.started_at, clocks.c.stopped_at).where(
        clocks.c.started_at >= start, clocks.c.started_at < end, clocks.c.clock_name.in_(DECISION_CLOCKS),
        clocks.c.outcome.is_not(None))
    durations: dict[object, list[float]] = {}
    for group, began, ended in (await uow.session.execute(query)).all():
        durations.setdefault(group, []).append((ended - began).total_seconds())
    for row in rows:
        values = sorted(durations.get(row["group"], []))
        row["p50_s"] = statistics.median(values) if values else None
        row["p90_s"] = _percentile(values, 0.9)


def _percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile, as PostgreSQL's percentile_cont computes it."""
    if not values:
        return None
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _shape(row: dict) -> dict:
    finished = row["met"] + row["missed"]
    hours = lambda s: None if s is None else round(float(s) / 3600, 2)  # noqa: E731
    return {
        "group": row["group"],
        **{k: row[k] for k in ("open", "due_24h", "due_72h", "warned", "breached", "met", "missed")},
        "on_time_rate": round(row["met"] / finished, 4) if finished else None,
        "time_to_decision_hours": {"median": hours(row["p50_s"]), "p90": hours(row["p90_s"])},
        "completion_15d_rate": round(row["decided_15d"] / row["decided"], 4) if row["decided"] else None,
        "ageing": {label: row[label] for label in _bucket_labels()},
    }


def _bucket_labels() -> list[str]:
    bounds = [0, *AGEING_DAYS]
    return [f"{low}-{high}d" for low, high in zip(bounds, AGEING_DAYS)] + [f"{AGEING_DAYS[-1]}d+"]
