"""SLA tracker at scale on PostgreSQL: N clocks, then the metrics query, an idle scheduler tick,
and the rate of starting clocks from ComplaintReceived events through the real consumer.

    .venv/bin/python -m bench.sla_metrics --clocks 1000000 --starts 5000

Starting clocks: N ComplaintReceived events are published on the in-process bus (6 partitions,
its SQLite log in a temporary directory) before the clock starts; then the SLA tracker's own
Consumer runs (fetches of up to KESU_CONSUMER_BATCH_SIZE records, partitions concurrently, one
transaction per partition batch unless --per-event) until every event is in the inbox. That
is the service's real path minus the relay: bus fetch, inbox mark, handler, rollup deltas,
outbox rows, commit, offset commit. The metrics are then read once with those deltas
unfolded, and the fold is timed.

Uses a fresh database on KESU_TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/postgres),
dropped afterwards. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from shared import migrations
from shared.clock import FrozenClock
from shared.bus import Record, TopicSpec
from shared.bus.memory import InProcessBus
from shared.db import create_engine
from shared.events import ComplaintReceived, envelope_for, to_headers
from sla_tracker import consumer as sla_consumer
from sla_tracker import models, rollup, scheduler, stats
from sla_tracker.main import build
from sla_tracker.settings import SlaSettings
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


async def run(url: str, clocks: int, starts: int, bus: InProcessBus, settings: SlaSettings) -> dict:
    engine = create_engine(url)
    await migrations.upgrade(engine, "sla_tracker")
    service = build(settings, engine=engine, bus=bus, clock=FrozenClock(NOW))
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
    if starts:
        result["start_clocks"] = await start_rate(service, bus, settings, starts)
        result["metrics_branch_with_unfolded_deltas"] = await timed(lambda: metrics("branch"), 1)
        result["fold"] = await fold_time(service)
    await engine.dispose()
    return result


async def start_rate(service, bus: InProcessBus, settings: SlaSettings, count: int) -> dict:
    """Publish ``count`` receipts on the bus, then time the SLA consumer until all are in the inbox."""
    topic = settings.topic("complaint-events")
    await bus.ensure_topics([TopicSpec(settings.topic(s), settings.topic_partitions) for s in sla_consumer.STREAMS])
    for first in range(0, count, 1000):
        await bus.publish([_receipt(topic, n) for n in range(first, min(first + 1000, count))])
    consumer = service.consumers[0]
    began = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    while await _inbox_count(service) < count:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - began
    await consumer.stop()
    await asyncio.wait_for(task, 30)
    return {"complaints": count, "mode": "batch" if consumer.batch_transactions else "per_event",
            "fetch_size": settings.consumer_batch_size, "partitions": settings.topic_partitions,
            "seconds": round(elapsed, 2), "per_second": round(count / elapsed)}


def _receipt(topic: str, n: int) -> Record:
    # Worst case for the rollup: every complaint shares one day, branch, channel and policy.
    event = ComplaintReceived(complaint_id=f"start-{n}", reference=f"R{n}", channel="web",
                              received_at=NOW, content="x", branch_code="B1")
    envelope = envelope_for(event, source="bench", time=NOW)
    return Record(topic, event.complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))


async def _inbox_count(service) -> int:
    async with service.engine.connect() as conn:
        return await conn.scalar(text(f"SELECT count(*) FROM {models.inbox.name}"))


async def fold_time(service) -> dict:
    """How long folding the deltas the starts left takes, and how many there were."""
    async with service.engine.connect() as conn:
        pending = await conn.scalar(text(f"SELECT count(*) FROM {models.rollup_deltas.name}"))
    began = time.perf_counter()
    async with service.unit_of_work() as uow:
        folded = await rollup.fold(uow.session)
    return {"deltas": pending, "folded": folded, "ms": round((time.perf_counter() - began) * 1000, 1)}


def main() -> None:
    """Parse arguments, run on a fresh database, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--starts", type=int, default=5000)
    parser.add_argument("--per-event", action="store_true", help="one transaction per event (batch mode off)")
    args = parser.parse_args()
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        settings = SlaSettings(database_url=url, consumer_batch_transactions=not args.per_event)
        print(json.dumps(asyncio.run(_with_bus(url, args, settings, f"sqlite+aiosqlite:///{tmp}/bus.sqlite")),
                         indent=2))


async def _with_bus(url: str, args, settings: SlaSettings, bus_url: str) -> dict:
    bus = InProcessBus(bus_url, default_partitions=settings.topic_partitions)
    await bus.start()
    try:
        return await run(url, args.clocks, args.starts, bus, settings)
    finally:
        await bus.stop()


if __name__ == "__main__":
    main()
