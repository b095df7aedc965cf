"""What the Kafka tests share: a tiny service database, numbered events, fakes and waiting loops."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, String, Table, func, insert, select

from shared.bus import Bus, Message, Record, Subscription, TopicSpec
from shared.clock import SystemClock
from shared.config import CommonSettings
from shared.consumer import Consumer, Handler, HandlerContext, dlq_topic
from shared.db import BigId, create_engine, inbox_table, outbox_table, service_metadata, session_factory
from shared.events import ComplaintReceived, Envelope, envelope_for, to_headers
from shared.retry import RetryPolicy
from shared.uow import UnitOfWork

METADATA = service_metadata()
OUTBOX = outbox_table(METADATA, "probe")
INBOX = inbox_table(METADATA, "probe")
# A plain row per application, deliberately without a unique constraint: only the inbox
# stands between a redelivered event and a second row.
RESULTS = Table(
    "probe_results",
    METADATA,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("complaint_id", String(100), nullable=False),
    Column("worker", String(50), nullable=False),
)


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against the same broker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def kafka_settings(env: Mapping[str, str], **overrides) -> CommonSettings:
    """Settings from a ``KESU_*`` environment mapping (init values beat the process environment)."""
    values = {name.removeprefix("KESU_").lower(): value for name, value in env.items()}
    return CommonSettings(**{**values, **overrides})


async def fresh_topic(bus: Bus, partitions: int = 1) -> str:
    """A new topic and its DLQ twin, created explicitly (auto-creation would give 4 partitions)."""
    topic = unique("probe")
    await bus.ensure_topics([TopicSpec(topic, partitions), TopicSpec(dlq_topic(topic), 1)])
    return topic


def numbered_event(seq: int, complaint_id: str) -> ComplaintReceived:
    """A complaint whose reference carries a sequence number handlers can record."""
    return ComplaintReceived(
        complaint_id=complaint_id, reference=str(seq), channel="web",
        received_at=datetime.now(timezone.utc), content=f"complaint number {seq}",
    )


def record_for(topic: str, event: ComplaintReceived) -> tuple[Envelope, Record]:
    """The envelope of an event and the Kafka record carrying it (binary-mode CloudEvents)."""
    envelope = envelope_for(event, source="kesu/probe", time=datetime.now(timezone.utc))
    record = Record(topic, event.complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))
    return envelope, record


class ResultStore:
    """The database of a small test service: outbox, inbox and the results its handlers write."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self._sessions = session_factory(self.engine)

    async def create_schema(self) -> None:
        """Create the tables (a fresh database each time, so no migrations are needed)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work on this database, as a service's composition root would build it."""
        return UnitOfWork(self._sessions, source="kesu/probe", outbox=OUTBOX, inbox=INBOX,
                          topic_for=lambda stream: stream, clock=SystemClock())

    async def seqs(self, worker: str | None = None) -> list[int]:
        """Every recorded sequence number (duplicates included), optionally of one worker."""
        query = select(RESULTS.c.seq).order_by(RESULTS.c.id)
        if worker is not None:
            query = query.where(RESULTS.c.worker == worker)
        async with self.engine.connect() as conn:
            return list((await conn.scalars(query)).all())

    async def has_seqs(self, expected: list[int]) -> bool:
        """True when exactly these sequence numbers were recorded, in this order."""
        return await self.seqs() == expected

    async def counts(self) -> tuple[int, int]:
        """How many rows, and how many distinct sequence numbers, were recorded."""
        query = select(func.count(), func.count(RESULTS.c.seq.distinct()))
        async with self.engine.connect() as conn:
            total, distinct = (await conn.execute(query)).one()
        return total, distinct

    async def inbox_ids(self) -> set[str]:
        """Event ids the inbox marked as processed."""
        async with self.engine.connect() as conn:
            return set((await conn.scalars(select(INBOX.c.event_id))).all())

    async def close(self) -> None:
        """Release the connections."""
        await self.engine.dispose()


async def insert_result(ctx: HandlerContext, event: ComplaintReceived, worker: str) -> None:
    """Append one results row in the handler's unit of work."""
    row = {"seq": int(event.reference), "complaint_id": event.complaint_id, "worker": worker}
    await ctx.uow.session.execute(insert(RESULTS).values(**row))


def recording_handler(worker: str = "test", delay_s: float = 0.0) -> Handler:
    """A handler that records each event as a row (after an optional pause, inside the transaction)."""

    async def handle(event: ComplaintReceived, ctx: HandlerContext) -> None:
        await insert_result(ctx, event, worker)
        if delay_s:
            await asyncio.sleep(delay_s)

    return handle


class FailingHandler:
    """Writes its row, then raises for the first ``failures`` calls per failing seq (None: always)."""

    def __init__(self, failures: int | None, *, failing_seqs: set[int] | None = None) -> None:
        self.failures = failures
        self.failing_seqs = failing_seqs
        self.calls: dict[int, int] = {}

    async def __call__(self, event: ComplaintReceived, ctx: HandlerContext) -> None:
        seq = int(event.reference)
        self.calls[seq] = self.calls.get(seq, 0) + 1
        await insert_result(ctx, event, "test")
        fails = self.failing_seqs is None or seq in self.failing_seqs
        if fails and (self.failures is None or self.calls[seq] <= self.failures):
            raise ConnectionError(f"database went away (call {self.calls[seq]})")


class RecordingSleep:
    """Stands in for asyncio.sleep in the Consumer: remembers each requested delay."""

    def __init__(self, *, really: bool = False) -> None:
        self.delays: list[float] = []
        self._really = really

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds if self._really else 0)


def make_consumer(bus: Bus, topic: str, store: ResultStore, handler: Handler, **options) -> Consumer:
    """A real Consumer (unique group) routing ComplaintReceived to the handler."""
    options.setdefault("retry", RetryPolicy(max_attempts=3, initial_s=0.01, max_s=0.05, jitter_s=0.01))
    return Consumer(name=unique("probe-consumer"), bus=bus, topics=[topic],
                    routes={ComplaintReceived: handler}, unit_of_work=store.unit_of_work, **options)


@asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task]:
    """Run a consumer in the background; stop it (letting it finish its batch) on exit."""
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        await consumer.stop()
        await asyncio.wait_for(task, timeout=20)


async def wait_until(condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 30.0,
                     task: asyncio.Task | None = None, what: str = "condition") -> None:
    """Poll until the condition holds; fail early if the task it depends on died."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if task is not None and task.done():
            task.result()
            raise AssertionError(f"consumer stopped before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


async def consume(subscription: Subscription, count: int, *, timeout_s: float = 30.0) -> list[Message]:
    """Fetch (and commit) until count messages arrived or the time is up."""
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(messages) < count and time.monotonic() < deadline:
        batch = await subscription.fetch(timeout_s=0.5, max_records=count - len(messages))
        for items in batch.values():
            messages.extend(items)
        await subscription.commit({tp: items[-1].offset + 1 for tp, items in batch.items()})
    return messages


def retries_counted(consumer: Consumer) -> float:
    """The consumer's kesu_event_retries_total metric (its name is unique, so it started at 0)."""
    return REGISTRY.get_sample_value("kesu_event_retries_total", {"consumer": consumer.name}) or 0.0


def headers_of(message: Message | Record) -> dict[str, str]:
    """A message's headers decoded (the last value wins, as a reader of dlq_* headers expects)."""
    return {name: value.decode("utf-8", "replace") for name, value in message.headers}
