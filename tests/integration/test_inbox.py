"""The inbox: a redelivered event is applied once; a failed handler leaves no trace."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from classifier import models as classifier_models
from shared.bus import Message
from shared.consumer import Consumer, HandlerContext
from shared.events import ComplaintReceived, envelope_for, to_headers
from shared.retry import RetryPolicy
from tests.integration.fakes import RecordingBus


def message_for(complaint_id: str, offset: int = 0) -> Message:
    event = ComplaintReceived(
        complaint_id=complaint_id, reference="KS-20261123-000001", channel="web",
        received_at=datetime.now(timezone.utc), content="信用卡年费被乱收，要求退还",
    )
    envelope = envelope_for(event, source="kesu/intake", time=datetime.now(timezone.utc))
    return Message("kesu.complaint-events", 0, offset, complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))


async def count(engine, table) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def no_sleep(_seconds: float) -> None:
    return None


async def test_redelivered_event_is_applied_once(classifier, engine):
    consumer = classifier.consumers[0]
    message = message_for("c-1")
    assert await consumer.process(message) == "processed"
    assert await consumer.process(message) == "duplicate"
    assert await count(engine, classifier_models.classifications) == 1
    assert await count(engine, classifier_models.outbox) == 1


async def test_failed_handler_leaves_neither_rows_nor_inbox_mark(classifier, engine):
    attempts = []

    async def half_then_crash(event, ctx: HandlerContext) -> None:
        attempts.append(1)
        await ctx.uow.publish(event)
        if len(attempts) == 1:
            raise ConnectionError("database connection lost")

    consumer = Consumer(
        name="test-consumer", bus=RecordingBus(), topics=["kesu.complaint-events"],
        routes={ComplaintReceived: half_then_crash}, unit_of_work=classifier.unit_of_work,
        retry=RetryPolicy(max_attempts=3, initial_s=0.01), sleep=no_sleep,
    )
    assert await consumer.process(message_for("c-2")) == "processed"
    assert len(attempts) == 2
    assert await count(engine, classifier_models.outbox) == 1
    assert await count(engine, classifier_models.inbox) == 1


async def test_exhausted_retries_dead_letter_without_marking_processed(classifier, engine):
    async def always_fails(event, ctx) -> None:
        raise ConnectionError("still down")

    dlq = RecordingBus()
    consumer = Consumer(
        name="test-consumer", bus=dlq, topics=["kesu.complaint-events"], routes={ComplaintReceived: always_fails},
        unit_of_work=classifier.unit_of_work, retry=RetryPolicy(max_attempts=2, initial_s=0.01), sleep=no_sleep,
    )
    assert await consumer.process(message_for("c-3", offset=7)) == "dead_lettered"
    [record] = dlq.published
    headers = dict(record.headers)
    assert record.topic == "kesu.complaint-events.dlq"
    assert headers["dlq_reason"] == b"retries_exhausted"
    assert headers["dlq_original_offset"] == b"7"
    assert headers["dlq_attempts"] == b"2"
    assert await count(engine, classifier_models.inbox) == 0


@pytest.mark.parametrize("consumer_name", ["kesu-classifier", "another-group"])
async def test_inbox_marks_are_per_consumer(classifier, engine, consumer_name):
    async with classifier.unit_of_work() as uow:
        assert await uow.mark_processed(consumer_name, "event-1") is True
    async with classifier.unit_of_work() as uow:
        assert await uow.mark_processed(consumer_name, "event-1") is False
        assert await uow.mark_processed(consumer_name + "-other", "event-1") is True
