"""The operator commands against the broker: ``kesu topics ensure``, ``kesu dlq list`` and ``replay``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.bus import Record
from shared.bus.kafka import KafkaBus
from shared.config import TOPIC_NAMES
from shared.consumer import dlq_topic
from shared.service import topic_specs
from tests.kafka.helpers import (
    FailingHandler,
    RecordingSleep,
    headers_of,
    kafka_settings,
    make_consumer,
    numbered_event,
    record_for,
    running,
    unique,
    wait_until,
)

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[2]
KESU = Path(sys.executable).with_name("kesu")
STREAM_PARTITIONS = 3


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own, so its topics and DLQs are empty at the start."""
    return f"{unique('kesu')}."


@pytest.fixture
def cli_env(kafka_env, prefix) -> dict[str, str]:
    """The environment of the ``kesu`` processes."""
    return {**os.environ, **kafka_env, "KESU_TOPIC_PREFIX": prefix,
            "KESU_TOPIC_PARTITIONS": str(STREAM_PARTITIONS), "KESU_LOG_LEVEL": "WARNING"}


@pytest.fixture
async def prefixed_bus(kafka_env, prefix) -> AsyncIterator[KafkaBus]:
    """A Kafka bus whose topics (all created) carry the test's prefix."""
    settings = kafka_settings(kafka_env, topic_prefix=prefix, topic_partitions=STREAM_PARTITIONS)
    bus = KafkaBus(settings)
    await bus.start()
    await bus.ensure_topics(topic_specs(settings))
    yield bus
    await bus.stop()


async def kesu(env: dict[str, str], *args: str) -> str:
    """Run the real ``kesu`` command line; its stdout, after checking it succeeded."""
    process = await asyncio.create_subprocess_exec(
        str(KESU), *args, cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, f"kesu {' '.join(args)} failed:\n{err.decode()[-3000:]}"
    return out.decode()


async def partition_counts(bootstrap: str, names: set[str]) -> dict[str, int]:
    """How many partitions each existing topic among names has."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = names & set(await admin.list_topics())
        described = await admin.describe_topics(sorted(existing)) if existing else []
        return {topic["topic"]: len(topic["partitions"]) for topic in described}
    finally:
        await admin.close()


async def test_topics_ensure_creates_every_topic_and_its_dlq_twin_and_is_idempotent(cli_env, kafka_env, prefix):
    streams = {f"{prefix}{name}" for name in TOPIC_NAMES}
    expected = {name: STREAM_PARTITIONS for name in streams} | {dlq_topic(name): 1 for name in streams}

    first = await kesu(cli_env, "topics", "ensure")
    second = await kesu(cli_env, "topics", "ensure")

    assert first.startswith("created 10 topic(s): ")
    assert set(first.strip().split(": ", 1)[1].split(", ")) == set(expected)
    assert second.strip() == "created 0 topic(s)"
    assert await partition_counts(kafka_env["KESU_KAFKA_BOOTSTRAP_SERVERS"], set(expected)) == expected


async def test_dlq_list_shows_the_dead_lettered_message_and_replay_republishes_it_once(
    cli_env, prefixed_bus, prefix, store
):
    bus = prefixed_bus
    topic = f"{prefix}complaint-events"
    envelope, record = record_for(topic, numbered_event(1, "c-1"))
    await bus.publish([record])
    # Fails as long as the outage lasts (all three attempts), then works for the replayed copy.
    handler = FailingHandler(failures=3)
    consumer = make_consumer(bus, topic, store, handler, sleep=RecordingSleep())

    async with running(consumer) as task:
        await wait_until(lambda: _dead_lettered(bus, topic), task=task, what="the dead-lettered message")
        listed = await kesu(cli_env, "dlq", "list", "--topic", "complaint-events")
        replayed = await kesu(cli_env, "dlq", "replay", "--topic", "complaint-events")
        await wait_until(lambda: store.has_seqs([1]), task=task, what="the replayed message applied")
        replayed_again = await kesu(cli_env, "dlq", "replay", "--topic", "complaint-events")

    [entry] = [json.loads(line) for line in listed.splitlines()]
    assert entry["event_id"] == envelope.id and entry["event_type"] == envelope.type
    assert entry["dlq_topic"] == dlq_topic(topic) and entry["key"] == "c-1"
    assert entry["dlq_original_topic"] == topic
    assert entry["dlq_reason"] == "retries_exhausted" and entry["dlq_attempts"] == "3"
    assert "database went away" in entry["dlq_error"]
    assert entry["value"] == envelope.data.decode()
    assert replayed.strip() == "replayed 1 message(s) from complaint-events.dlq"
    assert replayed_again.strip() == "replayed 0 message(s) from complaint-events.dlq"
    await _assert_republished_once(bus, topic, record)
    assert handler.calls == {1: 4}


async def _dead_lettered(bus: KafkaBus, topic: str) -> bool:
    return bool(await bus.read_topic(dlq_topic(topic)))


async def _assert_republished_once(bus: KafkaBus, topic: str, record: Record) -> None:
    """The original topic holds the message twice: as first published and as replayed, no more."""
    event_id = headers_of(record)["ce_id"]
    copies = [m for m in await bus.read_topic(topic) if headers_of(m).get("ce_id") == event_id]
    assert len(copies) == 2
    replayed = copies[1]
    assert (replayed.key, replayed.value, replayed.headers) == (record.key, record.value, record.headers)
