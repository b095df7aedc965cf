"""The bus carries keys, headers and CloudEvents envelopes intact and keeps per-key order."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shared.bus import Record
from shared.events import ComplaintReceived, Money, envelope_for, from_message, to_headers
from tests.kafka.helpers import consume, fresh_topic, unique

pytestmark = pytest.mark.kafka

KEYS = [f"complaint-{k}" for k in range(10)]


def numbered_records(topic: str, count: int) -> list[Record]:
    """Records round-robin over KEYS; the value and a header carry the publish sequence."""
    records = []
    for seq in range(count):
        key = KEYS[seq % len(KEYS)]
        headers = (("seq", str(seq).encode()), ("origin", key.encode()), ("binary", bytes([seq % 256, 0, 255])))
        records.append(Record(topic, key.encode(), f"payload-{seq}".encode(), headers))
    return records


async def test_publish_and_consume_keep_keys_headers_and_per_key_order(bus):
    topic = await fresh_topic(bus, partitions=3)
    records = numbered_records(topic, 200)
    for start in range(0, len(records), 20):  # several publishes, so batches interleave
        await bus.publish(records[start:start + 20])

    subscription = await bus.subscribe(unique("group"), [topic])
    try:
        messages = await consume(subscription, len(records))
    finally:
        await subscription.close()

    assert sorted(m.value for m in messages) == sorted(r.value for r in records)  # each exactly once
    sent = {r.value: r for r in records}
    by_key = defaultdict(list)
    for message in messages:
        assert message.headers == sent[message.value].headers
        assert message.key == sent[message.value].key
        by_key[message.key].append(message)
    for key, received in by_key.items():
        expected = [r.value for r in records if r.key == key]
        assert [m.value for m in received] == expected, f"order broken for {key!r}"
        assert len({m.partition for m in received}) == 1, f"{key!r} spread over partitions"


async def test_cloudevents_envelope_round_trips_through_the_bus(bus):
    topic = await fresh_topic(bus)
    shanghai = ZoneInfo("Asia/Shanghai")
    event = ComplaintReceived(
        complaint_id="c-7f3a", reference="KS-20261123-000042", channel="branch",
        received_at=datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=shanghai),
        complainant_ref="p-91ab", content="信用卡年费被重复扣收，要求退还",
        amount_disputed=Money(value=Decimal("1234.50"), currency="CNY"),
    )
    cause = envelope_for(event, source="kesu/intake", time=datetime.now(timezone.utc))
    envelope = envelope_for(event, source="kesu/classifier", time=datetime.now(shanghai), caused_by=cause)
    await bus.publish([Record(topic, event.complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))])

    [message] = await bus.read_topic(topic)
    received = from_message(message.headers, message.value)

    assert received == envelope
    assert received.causation_id == cause.id and received.correlation_id == cause.correlation_id
    assert received.event() == event
    assert received.event().amount_disputed.value == Decimal("1234.50")
