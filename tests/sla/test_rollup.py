"""The metrics rollup equals a direct count of the clocks after every kind of lifecycle change."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from shared import migrations
from shared.db import create_engine
from sla_tracker import rollup
from sla_tracker.models import ROLLUP_COUNTERS, clock_rollup, clocks
from sla_tracker.stats import percentile_hours
from tests.sla.helpers import also_run, at
from tests.sla.test_clocks import RECEIVED, classified, status


async def _rollup(sla) -> dict:
    async with sla.service.unit_of_work() as uow:
        await rollup.fold(uow.session)
    async with sla.service.engine.connect() as conn:
        rows = (await conn.execute(select(clock_rollup))).all()
    # Rows whose counts all returned to zero equal absent rows.
    return {tuple(r[:3]): {n: r._mapping[n] for n in ROLLUP_COUNTERS if r._mapping[n]}
            for r in rows if any(r._mapping[n] for n in ROLLUP_COUNTERS)}


async def _recounted(sla) -> dict:
    async with sla.service.engine.begin() as conn:
        await rollup.rebuild(conn)
    return await _rollup(sla)


async def test_the_rollup_equals_a_direct_count_after_every_lifecycle_change(sla):
    also_run(sla.rules, "bank-48h-7wd")
    for n, branch in enumerate(("B1", "B1", "B2", "B3", "B3", "B4")):
        await sla.receive(f"r{n}", RECEIVED + timedelta(hours=n * 7), branch_code=branch)
    await sla.deliver(classified("r0", "complex", business_line="deposit"))  # moves group, starts a clock
    await sla.deliver(classified("r0", "simple", business_line="deposit"))  # cancels initial_feedback
    await sla.deliver(status("r1", "external_appraisal", at("2026-03-04")))  # pause
    await sla.advance_to(at("2026-03-12"))  # warnings
    await sla.deliver(status("r1", "in_progress", at("2026-03-12")))  # resume
    await sla.deliver(status("r2", "decision_issued", at("2026-03-13")))  # met
    await sla.deliver(status("r3", "reopened", at("2026-03-13")))  # restart: generation 1
    await sla.advance_to(at("2026-03-25"))  # breaches
    await sla.deliver(status("r4", "withdrawn", at("2026-03-26")))  # missed
    await sla.deliver(status("r3", "decision_issued", at("2026-03-27")))
    kept = await _rollup(sla)
    assert kept == await _recounted(sla)
    totals = {n: sum(row.get(n, 0) for row in kept.values()) for n in ("met", "missed", "breached", "warned")}
    assert totals["met"] >= 2 and totals["missed"] >= 1 and totals["breached"] >= 1 and totals["warned"] >= 3


async def test_a_cancelled_clock_leaves_no_count(sla):
    also_run(sla.rules, "bank-48h-7wd")
    await sla.receive("r9", RECEIVED)
    before = await _rollup(sla)
    await sla.deliver(classified("r9", "complex"))
    await sla.deliver(classified("r9", "simple"))
    assert sum(row["opened"] for row in (await _rollup(sla)).values()) == sum(r["opened"] for r in before.values())


def test_contribution_moves_a_clock_from_open_to_decided():
    began = datetime(2026, 3, 1, tzinfo=timezone.utc)
    row = dict(state="running", clock_name="decision", started_at=began, informational=False, warned_level=50)
    assert rollup.contribution(row) == {"opened": 1, "open": 1, "warned": 1}
    stopped = row | dict(state="stopped", outcome="met", stopped_at=began + timedelta(hours=30))
    assert rollup.contribution(stopped) == {"opened": 1, "warned": 1, "met": 1, "decided": 1, "decided_15d": 1,
                                            "b03": 1}
    assert rollup.contribution(row | {"state": "cancelled"}) == {}


def test_percentiles_interpolate_within_the_bucket_and_floor_the_open_ended_one():
    histogram = [0] * 23
    histogram[3] = 4  # four decisions in [24 h, 48 h)
    assert (percentile_hours(histogram, 0.5), percentile_hours(histogram, 0.9)) == (36.0, 45.6)
    assert percentile_hours([0] * 22 + [1], 0.5) == 2160.0
    assert percentile_hours([0] * 23, 0.5) is None


async def test_the_migration_backfills_the_rollup_from_existing_clocks(database_url):
    engine = create_engine(database_url)
    await migrations.upgrade(engine, "sla_tracker", "sla_tracker_20261123_0002")
    began = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    rows = [dict(id=f"k{n}", complaint_id=f"k{n}", policy="cn-nfra-2020", clock_name="decision", state=state,
                 started_at=began + timedelta(hours=n), due_at=began + timedelta(days=15), due_date=began.date(),
                 warned_level=warned, outcome=outcome, branch_code="B1" if n % 2 else None,
                 stopped_at=began + timedelta(days=n) if outcome else None, informational=False)
            for n, (state, warned, outcome) in enumerate([("running", 0, None), ("breached", 100, None),
                                                          ("stopped", 50, "met"), ("stopped", 100, "missed"),
                                                          ("cancelled", 0, None)])]
    async with engine.begin() as conn:
        await conn.execute(insert(clocks), rows)
    await migrations.upgrade(engine, "sla_tracker")
    async with engine.connect() as conn:
        stored = (await conn.execute(select(clock_rollup))).all()
    await engine.dispose()
    expected: dict = {}
    for row in rows:
        for key in rollup.keys_of(row):
            expected.setdefault(key, Counter()).update(rollup.contribution(row))
    assert {tuple(r[:3]): {n: r._mapping[n] for n in ROLLUP_COUNTERS if r._mapping[n]} for r in stored} == {
        key: dict(counts) for key, counts in expected.items() if counts}
