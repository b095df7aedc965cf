"""The unit of work: one transaction holding a use case's rows, its outbox rows and its inbox mark."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.db import upsert_insert
from shared.events import Envelope, Event, envelope_for, to_headers


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

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.published = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
        if exc_type is None and self.published and self._on_commit:
            self._on_commit()

    async def publish(self, event: Event, *, caused_by: Envelope | None = None) -> Envelope:
        """Add an event to the outbox in this transaction; the relay sends it after commit."""
        envelope = envelope_for(event, source=self.source, time=self.clock.now(), caused_by=caused_by)
        await self.session.execute(
            insert(self._outbox).values(
                event_id=envelope.id,
                topic=self._topic_for(event.stream),
                key=event.complaint_id,
                headers=[[k, v.decode()] for k, v in to_headers(envelope)],
                payload=envelope.data,
                created_at=envelope.time,
            )
        )
        self.published.append(envelope)
        return envelope

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """Record an event as processed by a consumer; False when it already was (skip it)."""
        statement = upsert_insert(self.session.bind, self._inbox).values(
            consumer=consumer, event_id=event_id, processed_at=self.clock.now()
        ).on_conflict_do_nothing()
        result = await self.session.execute(statement)
        return result.rowcount == 1
