"""The SLA tracker's Prometheus metrics, refreshed from the clocks table by a background loop."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select

from shared.metrics import SLA_CLOCKS
from shared.uow import UnitOfWork
from sla_tracker.models import clocks

ALERTS = Counter("kesu_sla_alerts_total", "Warnings, breaches and escalations issued", ["policy", "kind"])
OPEN_CLOCKS = Gauge("kesu_sla_open_clocks", "Open SLA clocks", ["policy", "clock", "branch", "business_line"])
DUE_SOON = Gauge("kesu_sla_due_soon_clocks", "Open clocks falling due within a window", ["policy", "window"])
BREACHED_OPEN = Gauge("kesu_sla_breached_open_clocks", "Open clocks past their due instant",
                      ["policy", "branch", "business_line"])
FINISHED = Gauge("kesu_sla_finished_clocks", "Stopped clocks by outcome", ["policy", "outcome"])
STATES = ("running", "paused", "breached", "stopped", "cancelled")


async def refresh(uow: UnitOfWork) -> None:
    """Recompute every gauge from the database (one grouped scan of the open clocks)."""
    now = uow.clock.now()
    open_rows = (await uow.session.execute(
        select(clocks.c.policy, clocks.c.clock_name, clocks.c.branch_code, clocks.c.business_line,
               func.count(), func.count().filter(clocks.c.state == "breached"),
               func.count().filter(clocks.c.due_at <= now + timedelta(hours=24)),
               func.count().filter(clocks.c.due_at <= now + timedelta(hours=72)))
        .where(clocks.c.state.in_(("running", "paused", "breached")), clocks.c.informational.is_(False))
        .group_by(clocks.c.policy, clocks.c.clock_name, clocks.c.branch_code, clocks.c.business_line)
    )).all()
    _set_open(open_rows)
    states = dict((await uow.session.execute(select(clocks.c.state, func.count()).group_by(clocks.c.state))).all())
    for state in STATES:
        SLA_CLOCKS.labels(state).set(states.get(state, 0))
    finished = (await uow.session.execute(
        select(clocks.c.policy, clocks.c.outcome, func.count()).where(clocks.c.outcome.is_not(None))
        .group_by(clocks.c.policy, clocks.c.outcome))).all()
    FINISHED.clear()
    for policy, outcome, count in finished:
        FINISHED.labels(policy, outcome).set(count)


def _set_open(rows) -> None:
    for gauge in (OPEN_CLOCKS, DUE_SOON, BREACHED_OPEN):
        gauge.clear()
    due: dict[tuple[str, str], int] = {}
    breached: dict[tuple, int] = {}
    for policy, clock, branch, line, count, late, due24, due72 in rows:
        OPEN_CLOCKS.labels(policy, clock, branch or "", line or "").inc(count)
        breached[(policy, branch or "", line or "")] = breached.get((policy, branch or "", line or ""), 0) + late
        due[(policy, "24h")] = due.get((policy, "24h"), 0) + due24 - late
        due[(policy, "72h")] = due.get((policy, "72h"), 0) + due72 - late
    for labels, value in breached.items():
        BREACHED_OPEN.labels(*labels).set(value)
    for labels, value in due.items():
        DUE_SOON.labels(*labels).set(max(value, 0))

