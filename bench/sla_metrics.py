"""SLA tracker at scale on PostgreSQL: N clocks, then the metrics query, an idle scheduler tick,
and the rate of starting clocks from ComplaintReceived events.

    .venv/bin/python -m bench.sla_metrics --clocks 1000000 --starts 1000

Uses a fresh database on KESU_TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/postgres),
dropped afterwards. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from shared import migrations
from shared.clock import FrozenClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.events import ComplaintReceived, envelope_for
from sla_tracker import handlers, rollup, scheduler, stats
from sla_tracker.main import build
from sla_tracker.settings import SlaSettings
from tests.integration.fakes import RecordingBus
from tests.support import fresh_database

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

# Rows are generated in SQL: 80% open (running or breached), 20% stopped met or missed,
# started over the past year, spread over 200 branches, 17 business lines and 10 channels.
FILL = """
INSERT INTO sla_clocks (id, complaint_id, policy, policy_version, clock_name, generation, state, started_at,
  due_at, due_date, provisional, warned_level, next_check_at, breached_at, stopped_at, outcome, allowed,
  informational, channel, branch_code, business_line)
SELECT md5(g::text)::uuid::text, 'bench-' || g, 'cn-nfra-2020', '2020-03-01', 'decision', 0,
  CASE WHEN g % 10 < 6 THEN 'running' WHEN g % 10 < 8 THEN 'breached' ELSE 'stopped' END,
  s, s + interval '15 days', (s + interval '15 days')::date, false,
  CASE WHEN g % 10 < 6 THEN 0 ELSE 100 END,
  CASE WHEN g % 10 < 8 THEN CAST(:future AS timestamptz) END,
  CASE WHEN g % 10 BETWEEN 6 AND 7 THEN s + interval '15 days' END,
  CASE WHEN g % 10 >= 8 THEN s + (g % 20) * interval '1 day' END,
  CASE WHEN g % 10 >= 8 THEN CASE WHEN g % 20 <= 15 THEN 'met' ELSE 'missed' END END,
  15, false, 'ch' || (g % 10), 'B' || (g % 200), 'bl' || (g % 17)
FROM generate_series(1, :n) AS g, LATERAL (SELECT CAST(:now AS timestamptz) - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second' AS s) t
"""

OPEN_SCAN = """
SELECT {group}, count(*) FROM sla_clocks
WHERE state IN ('running', 'paused', 'breached') AND NOT informational AND due_at > '-infinity'
GROUP BY {group}
"""


async def timed(fn, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - began) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "min_ms": round(min(samples), 1),
            "max_ms": round(max(samples), 1), "runs": runs}


async def run(url: str, clocks: int, starts: int, concurrency: int) -> dict:
    engine = create_engine(url, pool_size=concurrency)
    await migrations.upgrade(engine, "sla_tracker")
    service = build(SlaSettings(database_url=url), engine=engine, bus=RecordingBus(), clock=FrozenClock(NOW))
    rules = service.context.rules
    began = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text(FILL), {"n": clocks, "now": NOW, "future": NOW + timedelta(days=400)})
    result = {"clocks": clocks, "fill_s": round(time.perf_counter() - began, 1)}
    began = time.perf_counter()
    async with engine.begin() as conn:
        await rollup.rebuild(conn)  # the rows bypassed the handlers: recount, as the migration's backfill does
    result["rollup_backfill_s"] = round(time.perf_counter() - began, 1)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE sla_clocks"))
        await conn.execute(text("ANALYZE sla_clock_rollup"))
        result["rollup_rows"] = (await conn.execute(text("SELECT count(*) FROM sla_clock_rollup"))).scalar()

    async def metrics(group_by):
        async with service.unit_of_work() as uow:
            await stats.sla_metrics(uow, start=NOW - timedelta(days=365), end=NOW, group_by=group_by)

    for group_by in (None, "branch", "business_line", "policy"):
        await metrics(group_by)  # warm the cache
        result[f"metrics_{group_by or 'all'}"] = await timed(lambda g=group_by: metrics(g), 5)

    async def open_by_index(group_by):
        # The alternative the rollup's `open` counter replaces: count open clocks per group from the index.
        async with engine.connect() as conn:
            await conn.execute(text(OPEN_SCAN.format(group=group_by)))

    result["open_scan_branch"] = await timed(lambda: open_by_index("branch_code"), 3)

    async def idle_tick():
        async with service.unit_of_work() as uow:
            assert await scheduler.issue_due_alerts(uow, rules) == 0

    result["scheduler_tick_nothing_due"] = await timed(idle_tick, 20)
    result["start_clocks"] = await start_rate(service, rules, starts, concurrency)
    await engine.dispose()
    return result


async def start_rate(service, rules, count: int, concurrency: int) -> dict:
    queue = list(range(count))

    async def worker():
        while queue:
            n = queue.pop()
            event = ComplaintReceived(complaint_id=f"start-{n}", reference=f"R{n}", channel="web",
                                      received_at=NOW, content="x", branch_code="B1")
            async with service.unit_of_work() as uow:
                ctx = HandlerContext(uow=uow, envelope=envelope_for(event, source="bench", time=NOW))
                await uow.mark_processed("bench", ctx.envelope.id)
                await handlers.on_received(event, ctx, rules=rules)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"complaints": count, "concurrency": concurrency, "seconds": round(elapsed, 2),
            "per_second": round(count / elapsed)}


def main() -> None:
    """Parse arguments, run on a fresh database, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--starts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with fresh_database() as url:
        print(json.dumps(asyncio.run(run(url, args.clocks, args.starts, args.concurrency)), indent=2))


if __name__ == "__main__":
    main()
