"""The in-process bus: durable log, per-key order, offsets committed after processing."""

from __future__ import annotations

import asyncio
import time

from shared import dlq
from shared.bus import Record, TopicSpec
from shared.bus.memory import InProcessBus


async def started_bus(path) -> InProcessBus:
    bus = InProcessBus(f"sqlite+aiosqlite:///{path}", default_partitions=4)
    await bus.start()
    await bus.ensure_topics([TopicSpec("t", 4)])
    return bus


async def fetch_all(subscription, expected: int) -> list:
    messages = []
    for _ in range(50):
        for items in (await subscription.fetch(timeout_s=0.05, max_records=1000)).values():
            messages.extend(items)
        if len(messages) >= expected:
            break
    return messages


async def test_each_key_keeps_its_order(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    await bus.publish([Record("t", f"k{n % 7}".encode(), str(n).encode()) for n in range(140)])
    messages = await fetch_all(await bus.subscribe("g", ["t"]), 140)
    by_key: dict[bytes, list[int]] = {}
    for message in messages:
        by_key.setdefault(message.key, []).append(int(message.value))
    assert sum(len(v) for v in by_key.values()) == 140
    assert all(values == sorted(values) for values in by_key.values())
    assert len({m.partition for m in messages}) > 1
    await bus.stop()


async def test_uncommitted_messages_are_redelivered_after_a_restart(tmp_path):
    path = tmp_path / "bus.sqlite"
    bus = await started_bus(path)
    await bus.publish([Record("t", b"k", str(n).encode()) for n in range(10)])
    subscription = await bus.subscribe("g", ["t"])
    first = await fetch_all(subscription, 10)
    await subscription.commit({(first[4].topic, first[4].partition): first[4].offset + 1})
    await bus.stop()

    restarted = await started_bus(path)
    again = await fetch_all(await restarted.subscribe("g", ["t"]), 5)
    assert [m.value for m in again] == [str(n).encode() for n in range(5, 10)]
    await restarted.stop()


async def test_groups_read_independently(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    await bus.publish([Record("t", b"k", b"x")])
    one, two = await bus.subscribe("a", ["t"]), await bus.subscribe("b", ["t"])
    assert len(await fetch_all(one, 1)) == 1
    assert len(await fetch_all(two, 1)) == 1
    await bus.stop()


async def test_a_waiting_consumer_wakes_on_publish(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    subscription = await bus.subscribe("g", ["t"])
    waiting = asyncio.create_task(subscription.fetch(timeout_s=5, max_records=10))
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    published_at = loop.time()
    await bus.publish([Record("t", b"k", b"hello")])
    batch = await waiting
    assert [m.value for items in batch.values() for m in items] == [b"hello"]
    assert loop.time() - published_at < 1.0
    await bus.stop()


async def test_lag_counts_messages_not_yet_fetched(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    await bus.publish([Record("t", b"k", b"1")])
    subscription = await bus.subscribe("g", ["t"])
    await fetch_all(subscription, 1)
    await bus.publish([Record("t", b"k", b"2"), Record("t", b"k", b"3")])
    await subscription._refresh_lag()
    assert sum(subscription.lag().values()) == 2
    await bus.stop()


async def test_a_batch_for_a_topic_not_yet_registered_is_accepted(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    await bus.publish([Record("new-topic", b"c-1", b"first"), Record("new-topic", b"c-1", b"second")])
    assert [m.value for m in await bus.read_topic("new-topic")] == [b"first", b"second"]
    await bus.stop()


async def test_replaying_an_empty_dlq_returns_promptly(tmp_path):
    bus = await started_bus(tmp_path / "bus.sqlite")
    await bus.ensure_topics([TopicSpec("t.dlq", 1)])
    started = time.monotonic()
    assert await dlq.replay(bus, "t", 100, idle_s=0.2, join_timeout_s=3.0) == 0
    assert time.monotonic() - started < 2.0
    await bus.stop()
