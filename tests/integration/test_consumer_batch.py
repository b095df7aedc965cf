"""Batch mode of the consumer: one transaction per partition batch, one per event when that fails.

Run on SQLite and PostgreSQL with the consumer's real unit of work; the handlers write a row per
event (no unique constraint: only the inbox prevents a second row) and note the transaction they ran in.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from shared.bus import Message, Record
from shared.consumer import Consumer, HandlerContext
from shared.events import ComplaintReceived
from shared.retry import RetryPolicy
from tests.integration.fakes import RecordingBus
from tests.kafka.helpers import FailingHandler, ResultStore, insert_result, numbered_event, record_for

TOPIC = "kesu.complaint-events"
ATTEMPTS = 3


@pytest.fixture
async def store(database_url) -> AsyncIterator[ResultStore]:
    """The probe service's database: outbox, inbox and a results table."""
    result_store = ResultStore(database_url)
    await result_store.create_schema()
    yield result_store
    await result_store.close()


def messages(*seqs: int, first_offset: int = 0) -> list[Message]:
    """One partition's messages carrying numbered receipts (complaint c-<seq>)."""
    return [as_message(record_for(TOPIC, numbered_event(seq, f"c-{seq}"))[1], first_offset + n)
            for n, seq in enumerate(seqs)]


def as_message(record: Record, offset: int) -> Message:
    """A record as the bus would deliver it from partition 0."""
    return Message(record.topic, 0, offset, record.key, record.value, record.headers)


async def no_sleep(_seconds: float) -> None:
    return None


def batch_consumer(store: ResultStore, handler, dlq: RecordingBus | None = None, *, batch: bool = True) -> Consumer:
    """A consumer of the probe service with batch transactions on (or off)."""
    return Consumer(name="probe-consumer", bus=dlq or RecordingBus(), topics=[TOPIC],
                    routes={ComplaintReceived: handler}, unit_of_work=store.unit_of_work,
                    retry=RetryPolicy(max_attempts=ATTEMPTS, initial_s=0.01), sleep=no_sleep,
                    batch_transactions=batch)


class TransactionNoter:
    """Writes the event's row and notes which transaction did it (PostgreSQL's txid; the UoW on SQLite)."""

    def __init__(self) -> None:
        self.transactions: list[object] = []
        self._units = itertools.count()

    async def __call__(self, event: ComplaintReceived, ctx: HandlerContext) -> None:
        await insert_result(ctx, event, "test")
        if ctx.uow.session.bind.dialect.name == "postgresql":
            self.transactions.append(await ctx.uow.session.scalar(text("SELECT txid_current()")))
        else:
            # A number stuck on the unit of work (one transaction each): id() could be reused after GC.
            self.transactions.append(vars(ctx.uow).setdefault("probe_number", next(self._units)))


async def test_an_all_good_batch_is_applied_in_one_transaction(store):
    handler = TransactionNoter()
    consumer = batch_consumer(store, handler)

    outcomes = await consumer.process_batch(messages(1, 2, 3, 4, 5))

    assert outcomes == ["processed"] * 5
    assert len(handler.transactions) == 5 and len(set(handler.transactions)) == 1
    assert await store.seqs() == [1, 2, 3, 4, 5]
    assert len(await store.inbox_ids()) == 5


async def test_without_batch_mode_each_event_has_its_own_transaction(store):
    handler = TransactionNoter()
    consumer = batch_consumer(store, handler, batch=False)
    for message in messages(1, 2, 3):
        await consumer.process(message)
    assert len(set(handler.transactions)) == 3


async def test_a_poison_event_mid_batch_is_retried_and_dead_lettered_while_the_others_commit(store):
    handler = FailingHandler(failures=None, failing_seqs={3})
    dlq = RecordingBus()
    consumer = batch_consumer(store, handler, dlq)
    batch = messages(1, 2, 3, 4, 5, first_offset=40)

    outcomes = await consumer.process_batch(batch)

    assert outcomes == ["processed", "processed", "dead_lettered", "processed", "processed"]
    # The batch attempt reached event 3 and was rolled back; then one transaction per event.
    assert handler.calls == {1: 2, 2: 2, 3: 1 + ATTEMPTS, 4: 1, 5: 1}
    assert await store.seqs() == [1, 2, 4, 5]
    [dead] = dlq.published
    headers = {name: value.decode() for name, value in dead.headers}
    assert (dead.topic, dead.value) == (f"{TOPIC}.dlq", batch[2].value)
    assert headers["dlq_reason"] == "retries_exhausted"
    assert headers["dlq_attempts"] == str(ATTEMPTS)
    assert headers["dlq_original_offset"] == "42"
    assert headers["ce_id"] not in await store.inbox_ids()
    assert len(await store.inbox_ids()) == 4


async def test_an_invalid_message_in_a_batch_is_dead_lettered_once_and_the_rest_applied(store):
    dlq = RecordingBus()
    consumer = batch_consumer(store, TransactionNoter(), dlq)
    good = messages(1, 2)
    poison = Message(TOPIC, 0, 2, b"c-x", b"\x00not json", (("ce_type", ComplaintReceived.type.encode()),))

    assert await consumer.process_batch([good[0], poison, good[1]]) == ["processed", "dead_lettered", "processed"]
    assert [dict(r.headers)["dlq_reason"] for r in dlq.published] == [b"permanent"]
    assert await store.seqs() == [1, 2]


async def test_a_redelivered_batch_is_skipped_by_the_inbox(store):
    handler = TransactionNoter()
    consumer = batch_consumer(store, handler)
    batch = messages(1, 2, 3)
    await consumer.process_batch(batch)

    # After a crash before the offset commit, the same messages come again (new offsets, same events).
    assert await consumer.process_batch([as_message(m, m.offset + 3) for m in batch]) == ["duplicate"] * 3
    assert await store.seqs() == [1, 2, 3]
    assert len(handler.transactions) == 3


async def test_an_event_twice_in_one_batch_is_applied_once(store):
    consumer = batch_consumer(store, TransactionNoter())
    [first, second] = messages(1, 2)

    assert await consumer.process_batch([first, second, as_message(first, 2)]) == ["processed", "processed",
                                                                                 "duplicate"]
    assert await store.seqs() == [1, 2]
