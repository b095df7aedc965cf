"""The consumer loop: per-partition sequential handling, commit after the database commit,
bounded retries with backoff and jitter, dead-lettering, and clean hand-over on rebalance.

Opt-in batch mode (``batch_transactions``): the messages one fetch brings for a partition are
handled in a single unit of work (each still marked in the inbox), which saves a transaction
and its commit per event. If that transaction fails for any reason, nothing of it is kept and
the same messages are handled one per transaction as usual, so a poison message meets exactly
the per-event retries and dead-lettering it would have met without batching.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import structlog
from tenacity import RetryCallState

from shared.bus import Bus, Message, Record, Subscription, TopicPartition
from shared.events import Envelope, Event, InvalidMessage, from_message
from shared.metrics import CONSUMER_LAG, EVENT_RETRIES, EVENT_SECONDS, EVENTS_HANDLED
from shared.retry import PermanentError, RetryPolicy
from shared.uow import UnitOfWork

log = structlog.get_logger()


@dataclass(frozen=True)
class HandlerContext:
    """What a handler gets beside its event: the open unit of work and the envelope it came in.

    In batch mode ``batch`` holds every event handled in the same unit of work (this one included),
    so a handler may read what all of them need in one query; it is empty otherwise.
    """

    uow: UnitOfWork
    envelope: Envelope
    batch: tuple[Event, ...] = ()


Handler = Callable[[Event, HandlerContext], Awaitable[None]]
Routes = Mapping[type[Event], Handler]


def dlq_topic(topic: str) -> str:
    """The dead-letter twin of a topic."""
    return f"{topic}.dlq"


class Consumer:
    """Runs one consumer group over some topics and dispatches events to handlers."""

    def __init__(
        self,
        *,
        name: str,
        bus: Bus,
        topics: Sequence[str],
        routes: Routes,
        unit_of_work: Callable[[], UnitOfWork],
        retry: RetryPolicy,
        batch_size: int = 200,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        batch_transactions: bool = False,
    ) -> None:
        self.name = name
        self._bus = bus
        self._topics = list(topics)
        self._routes = {event_type.type: handler for event_type, handler in routes.items()}
        self._unit_of_work = unit_of_work
        self._retry = retry
        self._batch_size = batch_size
        self._sleep = sleep
        self.batch_transactions = batch_transactions
        self._in_flight = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.running = False

    async def run(self) -> None:
        """Consume until stop() is called; after a failure, rejoin from the committed offsets."""
        while not self._stopping.is_set():
            try:
                await self._consume()
            except Exception as exc:  # noqa: BLE001 - the loop must survive broker hiccups
                log.warning("consumer failed; rejoining from committed offsets", consumer=self.name, error=repr(exc))
                await self._sleep(1.0)

    async def stop(self) -> None:
        """Finish the in-flight batch, then leave the group."""
        self._stopping.set()

    async def _consume(self) -> None:
        # A fresh subscription starts at the committed offsets, so nothing fetched but
        # unprocessed before a failure is skipped.
        subscription = await self._bus.subscribe(self.name, self._topics, on_revoke=self._finish_in_flight)
        self.running = True
        try:
            while not self._stopping.is_set():
                batch = await subscription.fetch(timeout_s=0.5, max_records=self._batch_size)
                if batch:
                    async with self._in_flight:
                        await subscription.commit(await self._process_batch(batch))
                self._report_lag(subscription)
        finally:
            self.running = False
            await subscription.close()

    async def _finish_in_flight(self, revoked: set[TopicPartition]) -> None:
        # Offsets are committed inside the lock, so holding it means nothing is half done.
        async with self._in_flight:
            log.info("partitions revoked", consumer=self.name, partitions=sorted(revoked))

    async def _process_batch(self, batch: Mapping[TopicPartition, list[Message]]) -> dict[TopicPartition, int]:
        partitions = list(batch.items())
        await asyncio.gather(*(self._process_partition(messages) for _, messages in partitions))
        return {tp: messages[-1].offset + 1 for tp, messages in partitions}

    async def _process_partition(self, messages: list[Message]) -> None:
        if self.batch_transactions:
            await self.process_batch(messages)
            return
        for message in messages:
            await self.process(message)

    async def process_batch(self, messages: Sequence[Message]) -> list[str]:
        """Handle one partition's messages in one transaction; one per transaction if that fails."""
        outcomes = await self._apply_batch(messages) if len(messages) > 1 else None
        if outcomes is None:
            outcomes = [await self.process(message) for message in messages]
        return outcomes

    async def _apply_batch(self, messages: Sequence[Message]) -> list[str] | None:
        """Outcomes when the whole batch committed in one unit of work; None when nothing was kept."""
        parsed = _parse_all(messages, self._routes)
        if parsed is None:
            return None  # an invalid message is dead-lettered by the one-by-one path, exactly once
        started = time.perf_counter()
        outcomes = []
        try:
            async with self._unit_of_work() as uow:
                # One inbox statement for the batch; an id seen twice in it is applied once.
                fresh = await uow.mark_all_processed(self.name, [envelope.id for envelope, _, h in parsed if h])
                batch = tuple(event for _, event, handler in parsed if handler)
                for envelope, event, handler in parsed:
                    outcomes.append(await self._handle(uow, handler, event, envelope, fresh, batch) if handler
                                    else "ignored")
        except Exception as exc:  # noqa: BLE001 - fall back: per-event retries and DLQ decide
            log.warning("batch transaction failed; handling its events one by one", consumer=self.name,
                        events=len(messages), error=repr(exc))
            return None
        share = (time.perf_counter() - started) / len(parsed)
        for (envelope, _, _), outcome in zip(parsed, outcomes):
            if outcome != "ignored":
                EVENT_SECONDS.labels(self.name).observe(share)
            self._count(envelope.type, outcome)
        return outcomes

    async def process(self, message: Message) -> str:
        """Handle one message to completion: applied, skipped, ignored or dead-lettered."""
        started = time.perf_counter()
        try:
            envelope = from_message(message.headers, message.value)
            handler = self._routes.get(envelope.type)
            if handler is None:
                return self._count(envelope.type, "ignored")
            event = envelope.event()
        except InvalidMessage as exc:
            await self._dead_letter(message, exc, attempts=0)
            return self._count("invalid", "dead_lettered")
        structlog.contextvars.bind_contextvars(
            complaint_id=envelope.subject, event_id=envelope.id, correlation_id=envelope.correlation_id
        )
        try:
            outcome = await self._apply_with_retries(handler, event, envelope, message)
        finally:
            structlog.contextvars.unbind_contextvars("complaint_id", "event_id", "correlation_id")
            EVENT_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        return self._count(envelope.type, outcome)

    async def _apply_with_retries(self, handler: Handler, event: Event, envelope: Envelope, message: Message) -> str:
        attempts = 0
        retrying = self._retry.retrying(sleep=self._sleep)
        retrying.before_sleep = self._log_retry
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await self._apply(handler, event, envelope)
        except Exception as exc:  # noqa: BLE001 - every failure ends in the DLQ, never lost
            await self._dead_letter(message, exc, attempts=attempts)
            return "dead_lettered"
        raise AssertionError("unreachable")

    def _log_retry(self, state: RetryCallState) -> None:
        EVENT_RETRIES.labels(self.name).inc()
        log.warning(
            "handler failed, retrying",
            consumer=self.name,
            attempt=state.attempt_number,
            error=repr(state.outcome.exception()) if state.outcome else None,
            wait_s=round(state.upcoming_sleep, 3),
        )

    async def _apply(self, handler: Handler, event: Event, envelope: Envelope) -> str:
        async with self._unit_of_work() as uow:
            if not await uow.mark_processed(self.name, envelope.id):
                return "duplicate"
            await handler(event, HandlerContext(uow=uow, envelope=envelope))
        return "processed"

    async def _handle(self, uow: UnitOfWork, handler: Handler, event: Event, envelope: Envelope,
                      fresh: set[str], batch: tuple[Event, ...]) -> str:
        """One event of a batch inside the batch's unit of work (already marked in the inbox when fresh)."""
        if envelope.id not in fresh:
            return "duplicate"
        fresh.discard(envelope.id)
        with structlog.contextvars.bound_contextvars(
            complaint_id=envelope.subject, event_id=envelope.id, correlation_id=envelope.correlation_id
        ):
            await handler(event, HandlerContext(uow=uow, envelope=envelope, batch=batch))
        return "processed"

    async def _dead_letter(self, message: Message, error: BaseException, *, attempts: int) -> None:
        log.error("dead-lettering message", consumer=self.name, topic=message.topic,
                  partition=message.partition, offset=message.offset, error=repr(error))
        record = Record(
            topic=dlq_topic(message.topic),
            key=message.key,
            value=message.value or b"",
            headers=message.headers + _error_headers(self.name, message, error, attempts),
        )
        # The DLQ publish itself must not be lost: keep trying until the broker takes it.
        retrying = RetryPolicy(max_attempts=1_000_000, initial_s=0.5, max_s=30).retrying(sleep=self._sleep)
        async for attempt in retrying:
            with attempt:
                await self._bus.publish([record])

    def _count(self, event_type: str, outcome: str) -> str:
        EVENTS_HANDLED.labels(self.name, event_type, outcome).inc()
        return outcome

    def _report_lag(self, subscription: Subscription) -> None:
        for (topic, partition), lag in subscription.lag().items():
            CONSUMER_LAG.labels(self.name, topic, str(partition)).set(lag)


Parsed = tuple[Envelope, Event | None, Handler | None]


def _parse_all(messages: Sequence[Message], routes: Mapping[str, Handler]) -> list[Parsed] | None:
    """Each message's envelope, event and handler (None when not routed), or None if any is invalid."""
    parsed: list[Parsed] = []
    try:
        for message in messages:
            envelope = from_message(message.headers, message.value)
            handler = routes.get(envelope.type)
            parsed.append((envelope, envelope.event() if handler else None, handler))
    except InvalidMessage:
        return None
    return parsed


def _error_headers(consumer: str, message: Message, error: BaseException, attempts: int) -> tuple:
    kind = "permanent" if isinstance(error, (InvalidMessage, PermanentError)) else "retries_exhausted"
    values = {
        "dlq_consumer": consumer,
        "dlq_reason": kind,
        "dlq_error_type": type(error).__name__,
        "dlq_error": str(error)[:2000],
        "dlq_original_topic": message.topic,
        "dlq_original_partition": str(message.partition),
        "dlq_original_offset": str(message.offset),
        "dlq_attempts": str(attempts),
        "dlq_failed_at": datetime.now(timezone.utc).isoformat(),
    }
    return tuple((name, value.encode()) for name, value in values.items())
