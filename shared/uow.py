"""The unit of work: one transaction holding a use case's rows, its outbox rows and its inbox mark."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import structlog
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.db import upsert_insert
from shared.events import Envelope, Event, envelope_for, to_headers

log = structlog.get_logger()


class UnitOfWork:
    """``async with uow:`` commits on success and rolls back on any exception."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        *,
        source: str,
        outbox: Table,
        inbox: Table,
        topic_for: Callable[[str], str],
        clock: Clock,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._inbox = inbox
        self._topic_for = topic_for
        self._on_commit = on_commit
        self.source = source
        self.clock = clock
        self.session: AsyncSession
        self.published: list[Envelope] = []
        self._outbox_rows: list[dict] = []
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.published = []
        self._outbox_rows = []
        self._after_commit = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self._write_outbox()
                await self.session.commit()
            else:
                await self._roll_back()
        finally:
            await self.session.close()
        if exc_type is None and self.published and self._on_commit:
            self._on_commit()
        if exc_type is None:
            for callback in self._after_commit:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (never after a rollback)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    async def _roll_back(self) -> None:
        try:
            await self.session.rollback()
        except Exception as error:  # noqa: BLE001
            # The connection died (e.g. pg_terminate_backend) and took the transaction with it:
            # let the failure that brought us here propagate rather than this echo of it.
            log.warning("rollback failed; the transaction ended with its connection", error=repr(error))

    async def publish(self, event: Event, *, caused_by: Envelope | None = None) -> Envelope:
        """Add an event to the outbox in this transaction; the relay sends it after commit."""
        envelope = envelope_for(event, source=self.source, time=self.clock.now(), caused_by=caused_by)
        # Written with the others in one statement just before COMMIT (nothing reads its own outbox
        # rows inside the transaction); list order keeps the publish order in the ids.
        self._outbox_rows.append(dict(
            event_id=envelope.id,
            topic=self._topic_for(event.stream),
            key=event.complaint_id,
            headers=[[k, v.decode()] for k, v in to_headers(envelope)],
            payload=envelope.data,
            created_at=envelope.time,
        ))
        self.published.append(envelope)
        return envelope

    async def _write_outbox(self) -> None:
        rows, self._outbox_rows = self._outbox_rows, []
        if rows:
            await self.session.execute(insert(self._outbox), rows)

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """Record an event as processed by a consumer; False when it already was (skip it)."""
        # Values as parameters, not in the statement: its compiled form is then cached and reused.
        statement = upsert_insert(self.session.bind, self._inbox).on_conflict_do_nothing()
        row = {"consumer": consumer, "event_id": event_id, "processed_at": self.clock.now()}
        result = await self.session.execute(statement, row)
        return result.rowcount == 1

    async def mark_all_processed(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Record several events as processed in one statement; the ids that were not yet (apply only those)."""
        if not event_ids:
            return set()
        statement = upsert_insert(self.session.bind, self._inbox).on_conflict_do_nothing()
        now = self.clock.now()
        rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now}
                for event_id in dict.fromkeys(event_ids)]
        result = await self.session.execute(statement.returning(self._inbox.c.event_id), rows)
        return set(result.scalars().all())
