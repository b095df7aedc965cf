"""SLA figures for ops teams, read from the rollup plus a short index scan of open clocks near their deadline.

The rollup is ``sla_clock_rollup`` plus the deltas not yet folded into it, read by one statement
(one snapshot), so a fold committing meanwhile can neither hide nor double a change.

Counts are exact per UTC start day: the window [from, to) is widened to whole UTC days. Decision-time
percentiles are approximate: interpolated linearly within the histogram bucket holding the rank.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, literal, select, union_all

from shared.uow import UnitOfWork
from sla_tracker.models import DECISION_BUCKET_HOURS, OPEN_COUNTED, ROLLUP_COUNTERS, clock_rollup, clocks, rollup_deltas
from sla_tracker.rollup import utc_day

GROUP_COLUMNS = {"branch": "branch_code", "business_line": "business_line", "channel": "channel", "policy": "policy"}
AGEING_DAYS = (3, 7, 15, 30)
COUNTS = ("open", "warned", "breached", "met", "missed", "decided", "decided_15d")
BUCKETS = tuple(name for name in ROLLUP_COUNTERS if name[0] == "b" and name[1:].isdigit())


def day_window(start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last UTC start day a window [start, end) touches."""
    return utc_day(start), utc_day(end - timedelta(microseconds=1))


def _ageing(r, today: date) -> dict:
    # An open clock's age is counted in whole UTC days since the day it started.
    bounds = [0, *AGEING_DAYS]
    columns = {}
    for low, high in zip(bounds, [*AGEING_DAYS, None]):
        label = f"{low}-{high}d" if high else f"{low}d+"
        older = r.day <= today - timedelta(days=low)
        condition = and_(older, r.day > today - timedelta(days=high)) if high else older
        columns[label] = func.sum(r.open).filter(condition)
    return columns


def _counters(dimension: str, first: date, last: date):
    """Rollup rows and unfolded deltas of one dimension and day range, as one row source."""
    names = ("day", "value", "opened", *COUNTS, *BUCKETS)
    parts = [select(*(table.c[n] for n in names))
             .where(table.c.dimension == dimension, table.c.day >= first, table.c.day <= last)
             for table in (clock_rollup, rollup_deltas)]
    return union_all(*parts).subquery("counters")


async def _rollup_rows(uow: UnitOfWork, first: date, last: date, group_by: str | None) -> dict:
    # Every clock counts once per dimension, so the policy dimension summed is the whole.
    r = _counters(GROUP_COLUMNS[group_by or "policy"], first, last).c
    key = r.value if group_by else literal("all")
    sums = {name: func.sum(r[name]) for name in (*COUNTS, *BUCKETS)} | _ageing(r, utc_day(uow.clock.now()))
    query = (select(key.label("group"), *(column.label(name) for name, column in sums.items()))
             .group_by(key).having(func.sum(r.opened) > 0).order_by(key))
    return {row.group: dict(row._mapping) for row in (await uow.session.execute(query)).all()}


async def _due_soon(uow: UnitOfWork, first: date, last: date, group_by: str | None) -> dict:
    """Open clocks due within 24 h / 72 h: a range scan of the partial index ix_sla_clocks_open_due."""
    now, c = uow.clock.now(), clocks.c
    key = func.coalesce(c[GROUP_COLUMNS[group_by]], "") if group_by else literal("all")
    within_24h = c.due_at <= now + timedelta(hours=24)
    began = datetime.combine(first, time(), timezone.utc)
    ended = datetime.combine(last + timedelta(days=1), time(), timezone.utc)
    # OPEN_COUNTED is the index predicate verbatim, so PostgreSQL can prove the partial index applies.
    query = (select(key.label("group"), func.count().filter(within_24h).label("due_24h"), func.count().label("due_72h"))
             .where(OPEN_COUNTED, c.due_at >= now, c.due_at <= now + timedelta(hours=72),
                    c.started_at >= began, c.started_at < ended)
             .group_by(key))
    return {row.group: (row.due_24h, row.due_72h) for row in (await uow.session.execute(query)).all()}


async def sla_metrics(uow: UnitOfWork, *, start: datetime, end: datetime, group_by: str | None) -> list[dict]:
    """Counts, rates, approximate decision-time percentiles and ageing per group of clocks started in [start, end)."""
    first, last = day_window(start, end)
    rows = await _rollup_rows(uow, first, last, group_by)
    due = await _due_soon(uow, first, last, group_by)
    return [_shape(group, row, due.get(group, (0, 0))) for group, row in rows.items()]


def percentile_hours(buckets: list[int], q: float) -> float | None:
    """The q-quantile of a decision-time histogram, interpolated linearly within its bucket."""
    total = sum(buckets)
    if not total:
        return None
    rank, seen = q * total, 0
    lows = [0, *DECISION_BUCKET_HOURS]
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            if index == len(DECISION_BUCKET_HOURS):
                return float(lows[index])  # open-ended last bucket: its lower edge, a floor
            return lows[index] + (rank - seen) / count * (DECISION_BUCKET_HOURS[index] - lows[index])
        seen += count
    return float(lows[-1])


def _shape(group, row: dict, due: tuple[int, int]) -> dict:
    counts = {k: int(row[k] or 0) for k in COUNTS}
    finished = counts["met"] + counts["missed"]
    histogram = [int(row[b] or 0) for b in BUCKETS]
    hours = lambda q: None if (v := percentile_hours(histogram, q)) is None else round(v, 2)  # noqa: E731
    return {
        "group": None if group == "" else group,  # the rollup keeps unknown as ""
        **{k: counts[k] for k in ("open", "warned", "breached", "met", "missed")},
        "due_24h": due[0], "due_72h": due[1],
        "on_time_rate": round(counts["met"] / finished, 4) if finished else None,
        "time_to_decision_hours": {"median": hours(0.5), "p90": hours(0.9)},
        "completion_15d_rate": round(counts["decided_15d"] / counts["decided"], 4) if counts["decided"] else None,
        "ageing": {label: int(row[label] or 0) for label in _bucket_labels()},
    }


def _bucket_labels() -> list[str]:
    bounds = [0, *AGEING_DAYS]
    return [f"{low}-{high}d" for low, high in zip(bounds, AGEING_DAYS)] + [f"{AGEING_DAYS[-1]}d+"]
