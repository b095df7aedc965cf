"""The consumer loop on a real bus: poison and exhausted messages go to the DLQ, transient failures retry.

Every test runs on Kafka and on the in-process bus, which must give the same outcome.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.bus import Record
from shared.consumer import dlq_topic
from shared.events import ComplaintReceived, Envelope, to_headers
from shared.retry import RetryPolicy
from tests.kafka.helpers import (
    FailingHandler,
    RecordingSleep,
    fresh_topic,
    headers_of,
    make_consumer,
    numbered_event,
    record_for,
    recording_handler,
    retries_counted,
    running,
    wait_until,
)

pytestmark = pytest.mark.kafka


def bad_envelope(topic: str) -> Record:
    """Bytes that are not JSON and headers that lack every CloudEvents attribute but the type."""
    return Record(topic, b"c-1", b"\x00\xffnot an event", (("ce_type", ComplaintReceived.type.encode()),))


def schema_violation(topic: str) -> Record:
    """A well-formed envelope of a routed type whose body misses required fields."""
    envelope = Envelope(source="kesu/probe", type=ComplaintReceived.type, time=datetime.now(timezone.utc),
                        subject="c-1", correlation_id="corr-1", data=b'{"complaint_id": "c-1", "channel": 7}')
    return Record(topic, b"c-1", envelope.data, tuple(to_headers(envelope)))


POISONS = {
    "bad_envelope": (bad_envelope, "bad CloudEvents envelope"),
    "schema_violation": (schema_violation, "Field required"),
}


async def offset_of(bus, topic: str, value: bytes) -> int:
    """Where a message with this value sits in the topic."""
    [message] = [m for m in await bus.read_topic(topic) if m.value == value]
    return message.offset


@pytest.mark.parametrize("poison_kind", sorted(POISONS))
async def test_poison_message_is_dead_lettered_with_its_bytes_and_the_consumer_moves_on(bus, store, poison_kind):
    topic = await fresh_topic(bus)
    build, expected_error = POISONS[poison_kind]
    poison = build(topic)
    _, good = record_for(topic, numbered_event(1, "c-1"))
    await bus.publish([poison, good])
    consumer = make_consumer(bus, topic, store, recording_handler())

    async with running(consumer) as task:
        await wait_until(lambda: store.has_seqs([1]), task=task, what="the good message after the poison")

    [dead] = await bus.read_topic(dlq_topic(topic))
    assert (dead.key, dead.value) == (poison.key, poison.value)
    assert dead.headers[: len(poison.headers)] == poison.headers  # original headers kept, errors appended
    headers = headers_of(dead)
    assert headers["dlq_original_topic"] == topic
    assert headers["dlq_original_partition"] == "0"
    assert headers["dlq_original_offset"] == str(await offset_of(bus, topic, poison.value))
    assert headers["dlq_reason"] == "permanent"
    assert headers["dlq_error_type"] == "InvalidMessage"
    assert expected_error in headers["dlq_error"]
    assert headers["dlq_consumer"] == consumer.name
    assert headers["dlq_attempts"] == "0"  # never handed to the handler


async def test_transient_failure_is_retried_with_growing_backoff_and_applied_once(bus, store):
    topic = await fresh_topic(bus)
    envelope, record = record_for(topic, numbered_event(1, "c-1"))
    await bus.publish([record])
    policy = RetryPolicy(max_attempts=5, initial_s=0.1, max_s=1.0, jitter_s=0.05)
    sleep = RecordingSleep(really=True)
    handler = FailingHandler(failures=2)
    consumer = make_consumer(bus, topic, store, handler, retry=policy, sleep=sleep)

    async with running(consumer) as task:
        await wait_until(lambda: store.has_seqs([1]), task=task, what="the retried event")

    assert handler.calls == {1: 3}
    assert retries_counted(consumer) == 2
    assert len(sleep.delays) == 2, f"unexpected waits {sleep.delays}"
    for failed_attempts, delay in enumerate(sleep.delays, start=1):
        base = policy.initial_s * 2 ** (failed_attempts - 1)
        assert min(base, policy.max_s) <= delay <= min(base + policy.jitter_s, policy.max_s)
    assert sleep.delays[1] > sleep.delays[0]
    assert await store.inbox_ids() == {envelope.id}
    assert await bus.read_topic(dlq_topic(topic)) == []


async def test_handler_that_keeps_failing_is_dead_lettered_after_max_attempts_and_the_consumer_continues(bus, store):
    topic = await fresh_topic(bus)
    doomed, doomed_record = record_for(topic, numbered_event(1, "c-1"))
    _, next_record = record_for(topic, numbered_event(2, "c-1"))
    await bus.publish([doomed_record, next_record])
    handler = FailingHandler(failures=None, failing_seqs={1})
    policy = RetryPolicy(max_attempts=3, initial_s=0.01, max_s=0.05, jitter_s=0.01)
    consumer = make_consumer(bus, topic, store, handler, retry=policy, sleep=RecordingSleep())

    async with running(consumer) as task:
        await wait_until(lambda: store.has_seqs([2]), task=task, what="the event after the failing one")

    assert handler.calls == {1: 3, 2: 1}
    [dead] = await bus.read_topic(dlq_topic(topic))
    assert (dead.key, dead.value) == (doomed_record.key, doomed_record.value)
    headers = headers_of(dead)
    assert headers["ce_id"] == doomed.id
    assert headers["dlq_reason"] == "retries_exhausted"
    assert headers["dlq_attempts"] == "3"
    assert headers["dlq_error_type"] == "ConnectionError"
    assert "database went away (call 3)" in headers["dlq_error"]
    assert headers["dlq_original_offset"] == str(await offset_of(bus, topic, doomed_record.value))
    # Not marked processed, so a replay from the DLQ will be applied.
    assert doomed.id not in await store.inbox_ids()


async def test_in_batch_mode_a_failing_event_is_dead_lettered_and_the_rest_of_its_batch_applied_once(bus, store):
    topic = await fresh_topic(bus)
    records = [record_for(topic, numbered_event(seq, "c-1")) for seq in range(1, 6)]
    await bus.publish([record for _, record in records])
    handler = FailingHandler(failures=None, failing_seqs={3})
    policy = RetryPolicy(max_attempts=3, initial_s=0.01, max_s=0.05, jitter_s=0.01)
    consumer = make_consumer(bus, topic, store, handler, retry=policy, sleep=RecordingSleep(), batch_transactions=True)

    async with running(consumer) as task:
        await wait_until(lambda: store.has_seqs([1, 2, 4, 5]), task=task, what="the events around the failing one")

    [dead] = await bus.read_topic(dlq_topic(topic))
    headers = headers_of(dead)
    assert headers["ce_id"] == records[2][0].id
    assert (headers["dlq_reason"], headers["dlq_attempts"]) == ("retries_exhausted", "3")
    assert handler.calls[3] in (3, 4)  # 3 attempts, plus one in the batch transaction when it shared a fetch
    assert await store.inbox_ids() == {envelope.id for envelope, _ in records} - {records[2][0].id}
