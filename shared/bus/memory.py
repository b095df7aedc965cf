"""The in-process bus used by ``kesu up`` and fast tests.

Same semantics as Kafka for Kesu's purposes (at-least-once, per-key order, consumer-group
offsets committed after processing), with its log kept in a SQLite file of its own so that a
restarted ``kesu up`` still delivers what was published but not yet consumed. One member per
consumer group: the embedded runner starts one consumer per service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

from sqlalchemy import (
    JSON, Column, Index, Integer, LargeBinary, MetaData, String, Table, and_, func, insert, or_, select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared.bus import Message, Record, RevokeCallback, TopicPartition, TopicSpec, partition_for
from shared.db import create_engine

_metadata = MetaData()
_topics = Table(
    "bus_topics", _metadata, Column("topic", String(200), primary_key=True), Column("partitions", Integer)
)
_log = Table(
    "bus_log",
    _metadata,
    Column("offset", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("key", LargeBinary),
    Column("value", LargeBinary),
    Column("headers", JSON, nullable=False),
    Column("timestamp_ms", Integer, nullable=False),
    Index("ix_bus_log_position", "topic", "partition", "offset"),
)
_offsets = Table(
    "bus_offsets",
    _metadata,
    Column("group", String(200), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", Integer, nullable=False),
)


class InProcessBus:
    """A bus inside this process whose log is durable in its own SQLite database."""

    def __init__(self, url: str, *, default_partitions: int = 4) -> None:
        self._engine = create_engine(url)
        self._reader = create_engine(url, read_only=True)
        self._default_partitions = default_partitions
        self._partitions: dict[str, int] = {}
        self._new_data = asyncio.Condition()
        # Bumped on every publish, so a consumer that checked just before cannot miss the wake-up.
        self.version = 0

    async def start(self) -> None:
        """Create the log tables if needed and load topic metadata."""
        async with self._engine.begin() as conn:
            await conn.run_sync(_metadata.create_all)
            rows = (await conn.execute(select(_topics))).all()
        self._partitions = {row.topic: row.partitions for row in rows}

    async def stop(self) -> None:
        """Release the database connections."""
        await self._engine.dispose()
        await self._reader.dispose()

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> list[str]:
        """Register topics that do not exist yet; return the names created."""
        created = list({spec.name: spec for spec in specs if spec.name not in self._partitions}.values())
        if created:
            rows = [{"topic": s.name, "partitions": s.partitions} for s in created]
            async with self._engine.begin() as conn:
                # Another process sharing the file may have registered the topic meanwhile.
                await conn.execute(sqlite_insert(_topics).on_conflict_do_nothing(), rows)
                stored = (await conn.execute(select(_topics).where(_topics.c.topic.in_([s.name for s in created])))).all()
            self._partitions.update({row.topic: row.partitions for row in stored})
        return [spec.name for spec in created]

    async def publish(self, records: Sequence[Record]) -> None:
        """Append records durably, then wake the consumers."""
        if not records:
            return
        await self.ensure_topics(
            [TopicSpec(r.topic, self._default_partitions) for r in records if r.topic not in self._partitions]
        )
        now_ms = int(time.time() * 1000)
        rows = [self._row(record, now_ms) for record in records]
        async with self._engine.begin() as conn:
            await conn.execute(insert(_log), rows)
        async with self._new_data:
            self.version += 1
            self._new_data.notify_all()

    def _partition_count(self, topic: str) -> int:
        return self._partitions.get(topic, self._default_partitions)

    def _row(self, record: Record, now_ms: int) -> dict:
        partition = partition_for(record.key, self._partitions[record.topic])
        headers = [[k, v.decode("latin-1")] for k, v in record.headers]
        return dict(topic=record.topic, partition=partition, key=record.key, value=record.value,
                    headers=headers, timestamp_ms=now_ms)

    async def subscribe(
        self, group: str, topics: Sequence[str], on_revoke: RevokeCallback | None = None
    ) -> InProcessSubscription:
        """Join a consumer group; positions start at its committed offsets."""
        async with self._reader.connect() as conn:
            rows = (await conn.execute(select(_offsets).where(_offsets.c.group == group))).all()
        positions = {(r.topic, r.partition): r.next_offset for r in rows if r.topic in topics}
        return InProcessSubscription(self, group, list(topics), positions)

    async def read_topic(self, topic: str, limit: int = 1000) -> list[Message]:
        """Every message of a topic from the beginning (for DLQ inspection)."""
        query = select(_log).where(_log.c.topic == topic).order_by(_log.c.offset).limit(limit)
        async with self._reader.connect() as conn:
            return [_message(row) for row in (await conn.execute(query)).all()]

    async def _fetch(self, topics: list[str], positions: dict[TopicPartition, int], limit: int) -> list[Message]:
        after_position = [
            and_(_log.c.topic == topic, _log.c.partition == partition,
                 _log.c.offset >= positions.get((topic, partition), 0))
            for topic in topics
            for partition in range(self._partition_count(topic))
        ]
        query = select(_log).where(or_(*after_position)).order_by(_log.c.offset).limit(limit)
        async with self._reader.connect() as conn:
            return [_message(row) for row in (await conn.execute(query)).all()]

    async def _commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        rows = [dict(group=group, topic=t, partition=p, next_offset=o) for (t, p), o in offsets.items()]
        statement = sqlite_insert(_offsets).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["group", "topic", "partition"],
            set_={"next_offset": func.max(_offsets.c.next_offset, statement.excluded.next_offset)},
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def _end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        query = (
            select(_log.c.topic, _log.c.partition, func.max(_log.c.offset))
            .where(_log.c.topic.in_(topics))
            .group_by(_log.c.topic, _log.c.partition)
        )
        async with self._reader.connect() as conn:
            return {(t, p): last + 1 for t, p, last in (await conn.execute(query)).all()}

    async def _wait_for_data(self, seen_version: int, timeout_s: float) -> None:
        async with self._new_data:
            try:
                await asyncio.wait_for(self._new_data.wait_for(lambda: self.version != seen_version), timeout_s)
            except TimeoutError:
                pass


def _message(row) -> Message:
    headers = tuple((k, v.encode("latin-1")) for k, v in row.headers)
    return Message(row.topic, row.partition, row.offset, row.key, row.value, headers, row.timestamp_ms)


class InProcessSubscription:
    """One member of a consumer group on the in-process bus."""

    def __init__(self, bus: InProcessBus, group: str, topics: list[str], positions: dict) -> None:
        self._bus = bus
        self._group = group
        self._topics = topics
        self._positions: dict[TopicPartition, int] = positions
        self._lag: dict[TopicPartition, int] = {}

    async def fetch(self, timeout_s: float, max_records: int) -> dict[TopicPartition, list[Message]]:
        """Messages past the current positions, grouped by partition; waits up to timeout_s."""
        seen_version = self._bus.version
        messages = await self._bus._fetch(self._topics, self._positions, max_records)
        if not messages:
            await self._bus._wait_for_data(seen_version, timeout_s)
            messages = await self._bus._fetch(self._topics, self._positions, max_records)
        batch: dict[TopicPartition, list[Message]] = {}
        for message in messages:
            batch.setdefault((message.topic, message.partition), []).append(message)
        for tp, items in batch.items():
            self._positions[tp] = items[-1].offset + 1
        await self._refresh_lag()
        return batch

    async def _refresh_lag(self) -> None:
        ends = await self._bus._end_offsets(self._topics)
        self._lag = {
            (topic, partition): max(0, ends.get((topic, partition), 0) - self._positions.get((topic, partition), 0))
            for topic in self._topics
            for partition in range(self._bus._partition_count(topic))
        }

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Durably record the next offsets to read for this group."""
        if offsets:
            await self._bus._commit(self._group, offsets)

    def lag(self) -> dict[TopicPartition, int]:
        """Messages published but not yet fetched, per partition."""
        return dict(self._lag)

    async def close(self) -> None:
        """Nothing to release: positions live in the bus's database."""
