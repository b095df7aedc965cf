"""The classifier service draining a backlog on PostgreSQL and the Kafka-protocol test broker.

    .venv/bin/python -m bench.classifier_service                     # 20,000 complaints, batch mode
    .venv/bin/python -m bench.classifier_service --n 5000 --per-event --json

N ComplaintReceived events (the Chinese evaluation texts and the CFPB held-out narratives,
alternating, read as bench/classifier_throughput.py reads them) are published on
complaint-events before the clock starts. Then the service that `kesu run classifier` builds
(classifier.main.build: the packaged model, the real Consumer on KafkaBus, the outbox relay)
runs in this process against a fresh PostgreSQL database (KESU_TEST_PG_DSN) and a fresh test
broker (or KAFKA_BOOTSTRAP_SERVERS) until the relay has published all N ComplaintClassified on
classification-events (it marks a row published after the broker acknowledged it; the topic is
read back afterwards to check the count).

Figures: seconds to join the group (first event in the inbox), to drain (all N in the inbox)
and to publish; complaints/s over the wall time after the join; complaints per CPU-second of
this process (consumer, classifier, relay and the Kafka client; PostgreSQL and the broker are
other processes, whose share shows in the host's busy cores). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from bench.classifier_throughput import eval_lines, process_cpu_seconds
from bench.intake_throughput import cpu_seconds
from classifier import models
from classifier.main import build
from classifier.settings import ClassifierSettings
from shared import migrations
from shared.bus import Record
from shared.bus.kafka import KafkaBus
from shared.clock import SystemClock
from shared.consumer import dlq_topic
from shared.db import create_engine
from shared.events import ComplaintReceived, envelope_for, to_headers
from shared.logging import configure_logging
from shared.service import topic_specs
from tests.support import fresh_database, kafka_broker, kafka_settings_env

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
POLL_S = 0.05


def receipts(n: int, topic: str) -> list[Record]:
    """N ComplaintReceived records, Chinese and English texts alternating."""
    zh, en = eval_lines("zh_eval.jsonl", (n + 1) // 2), eval_lines("cfpb_heldout.jsonl", n // 2)
    picked = [(zh[i // 2], "zh") if i % 2 == 0 else (en[i // 2], "en") for i in range(n)]
    return [_record(topic, f"svc-{i}", json.loads(line), language) for i, (line, language) in enumerate(picked)]


def _record(topic: str, complaint_id: str, row: dict, language: str) -> Record:
    event = ComplaintReceived(complaint_id=complaint_id, reference=f"R-{complaint_id}",
                              channel=row.get("channel") or "web", received_at=NOW, language=language,
                              content=row["text"])
    envelope = envelope_for(event, source="bench", time=NOW)
    return Record(topic, complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))


def _host_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _broker_pid() -> int | None:
    """The test broker this process started (its only child), if any."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    return int(children[0]) if children else None


async def _counts(engine) -> tuple[int, int]:
    """(events in the inbox, outbox rows published)."""
    async with engine.connect() as conn:
        handled = await conn.scalar(select(func.count()).select_from(models.inbox))
        published = await conn.scalar(select(func.count()).select_from(models.outbox)
                                      .where(models.outbox.c.published_at.is_not(None)))
    return handled, published


async def drain(service, n: int, timeout_s: float) -> dict:
    """Run the service's consumer and relay until all N are published; the timings."""
    broker = _broker_pid()
    cpu, broker_cpu, host = process_cpu_seconds(), cpu_seconds(broker) if broker else 0.0, _host_busy()
    began = time.perf_counter()
    tasks = [asyncio.create_task(service.consumers[0].run()), asyncio.create_task(service.relay.run())]
    marks: dict[str, float] = {}
    handled = published = 0
    while published < n and time.perf_counter() - began < timeout_s:
        await asyncio.sleep(POLL_S)
        handled, published = await _counts(service.engine)
        now = time.perf_counter() - began
        if handled:
            marks.setdefault("joined_s", now)
        if handled >= n:
            marks.setdefault("drained_s", now)
    marks["published_s"] = time.perf_counter() - began
    cpu, broker_cpu = process_cpu_seconds() - cpu, (cpu_seconds(broker) - broker_cpu) if broker else None
    busy, total = (after - before for after, before in zip(_host_busy(), host))
    await service.consumers[0].stop()
    await asyncio.wait_for(tasks[0], 30)
    tasks[1].cancel()
    await asyncio.gather(tasks[1], return_exceptions=True)
    return _figures(n, handled, published, marks, cpu, broker_cpu, os.cpu_count() * busy / total)


def _figures(n, handled, published, marks, cpu, broker_cpu, host_busy) -> dict:
    after_join = marks["published_s"] - marks.get("joined_s", 0.0)
    return {"handled": handled, "published": published, **{k: round(v, 2) for k, v in marks.items()},
            "per_s": round(published / marks["published_s"]),
            "per_s_after_join": round(published / after_join) if after_join > 0 else None,
            "process_cpu_s": round(cpu, 2), "per_core_s": round(published / cpu) if cpu else None,
            "broker_cpu_s": round(broker_cpu, 2) if broker_cpu is not None else None,
            "host_busy_cores": round(host_busy, 2)}


async def run(url: str, settings: ClassifierSettings, n: int, timeout_s: float) -> dict:
    """Migrate, pre-load the backlog, build the service, drain, check the topics."""
    engine = create_engine(url, pool_size=settings.database_pool_size)
    await migrations.upgrade(engine, "classifier")
    bus = KafkaBus(settings)
    await bus.start()
    try:
        await bus.ensure_topics(topic_specs(settings))
        records = receipts(n, settings.topic("complaint-events"))
        for first in range(0, n, 1000):
            await bus.publish(records[first:first + 1000])
        service = build(settings, engine=engine, bus=bus, clock=SystemClock())
        result = await drain(service, n, timeout_s)
        result["on_topic"] = len(await bus.read_topic(settings.topic("classification-events"), limit=n + 1000))
        result["dead_lettered"] = len(await bus.read_topic(dlq_topic(settings.topic("complaint-events"))))
        result["model"] = service.context.classifier.model_version
    finally:
        await bus.stop()
        await engine.dispose()
    return result


def main() -> None:
    """Parse arguments, run on a fresh database and broker, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="complaints in the backlog")
    parser.add_argument("--per-event", action="store_true", help="one transaction per event (batch mode off)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds of draining")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "n": args.n,
              "mode": "per_event" if args.per_event else "batch", "loadavg_start": os.getloadavg()}
    with fresh_database() as url, kafka_broker() as bootstrap, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(kafka_settings_env(bootstrap))
        settings = ClassifierSettings(database_url=url, data_dir=Path(tmp),
                                      consumer_batch_transactions=not args.per_event)
        report.update(fetch_size=settings.consumer_batch_size, partitions=settings.topic_partitions)
        report.update(asyncio.run(run(url, settings, args.n, args.timeout)))
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
