"""The Kafka bus (aiokafka): acks=all producer, manual-commit consumers, idempotent topic setup."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition as KafkaTP
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.bus import Message, Record, RevokeCallback, TopicPartition, TopicSpec
from shared.config import CommonSettings


class KafkaBus:
    """A bus on Apache Kafka (or a protocol-compatible broker)."""

    def __init__(self, settings: CommonSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect the producer."""
        s = self._settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id=s.kafka_client_id,
            acks="all",
            enable_idempotence=s.kafka_enable_idempotence,
            linger_ms=2,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect the producer."""
        if self._producer:
            await self._producer.stop()
            self._producer = None

    async def publish(self, records: Sequence[Record]) -> None:
        """Send records and return once every one is acknowledged by the broker."""
        assert self._producer is not None, "bus not started"
        pending = [
            await self._producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*pending)

    async def subscribe(
        self, group: str, topics: Sequence[str], on_revoke: RevokeCallback | None = None
    ) -> KafkaSubscription:
        """Join a consumer group with manual commits, reading from the earliest uncommitted offset."""
        consumer = self._consumer(group_id=group)
        await consumer.start()
        consumer.subscribe(list(topics), listener=_Listener(on_revoke))
        return KafkaSubscription(consumer)

    def _consumer(self, group_id: str | None) -> AIOKafkaConsumer:
        s = self._settings
        return AIOKafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id=s.kafka_client_id,
            group_id=group_id,
            enable_auto_commit=False,
            # The test broker misreports the latest offset; earliest is right for Kesu anyway.
            auto_offset_reset="earliest",
            fetch_max_wait_ms=s.kafka_fetch_max_wait_ms,
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
            max_poll_interval_ms=max(300_000, s.kafka_session_timeout_ms * 10),
        )

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> list[str]:
        """Create the topics that do not exist; never touches existing ones."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.kafka_bootstrap_servers, client_id="kesu-admin"
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [spec for spec in specs if spec.name not in existing]
            if missing:
                await admin.create_topics([_new_topic(spec) for spec in missing])
            return [spec.name for spec in missing]
        finally:
            await admin.close()

    async def read_topic(self, topic: str, limit: int = 1000) -> list[Message]:
        """Every message of a topic from the beginning, stopping when nothing more arrives."""
        consumer = self._consumer(group_id=None)
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await consumer.force_metadata_update()
                partitions = consumer.partitions_for_topic(topic) or set()
            consumer.assign([KafkaTP(topic, p) for p in partitions])
            await consumer.seek_to_beginning()
            return await _drain(consumer, limit)
        finally:
            await consumer.stop()


async def _drain(consumer: AIOKafkaConsumer, limit: int) -> list[Message]:
    messages: list[Message] = []
    while len(messages) < limit:
        batch = await consumer.getmany(timeout_ms=1000, max_records=limit - len(messages))
        if not batch:
            break
        for records in batch.values():
            messages.extend(_message(r) for r in records)
    return sorted(messages, key=lambda m: (m.partition, m.offset))


def _new_topic(spec: TopicSpec) -> NewTopic:
    return NewTopic(
        name=spec.name,
        num_partitions=spec.partitions,
        replication_factor=spec.replication_factor,
        topic_configs=dict(spec.config),
    )


def _message(record) -> Message:
    return Message(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
        timestamp_ms=record.timestamp or 0,
    )


class _Listener(ConsumerRebalanceListener):
    """Lets the consumer loop finish its in-flight batch before partitions move elsewhere."""

    def __init__(self, on_revoke: RevokeCallback | None) -> None:
        self._on_revoke = on_revoke

    async def on_partitions_revoked(self, revoked) -> None:
        if self._on_revoke:
            await self._on_revoke({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned) -> None:
        return None


class KafkaSubscription:
    """A consumer-group member on Kafka."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self._positions: dict[TopicPartition, int] = {}

    async def fetch(self, timeout_s: float, max_records: int) -> dict[TopicPartition, list[Message]]:
        """The next batch, grouped by partition."""
        batch = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        result = {(tp.topic, tp.partition): [_message(r) for r in records] for tp, records in batch.items()}
        for tp, messages in result.items():
            self._positions[tp] = messages[-1].offset + 1
        return result

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit the next offsets to read, for partitions this member still owns."""
        owned = self._consumer.assignment()
        to_commit = {KafkaTP(t, p): o for (t, p), o in offsets.items() if KafkaTP(t, p) in owned}
        if to_commit:
            await self._consumer.commit(to_commit)

    def lag(self) -> dict[TopicPartition, int]:
        """Broker highwater minus this member's fetch position, per assigned partition."""
        result: dict[TopicPartition, int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                key = (tp.topic, tp.partition)
                result[key] = max(0, highwater - self._positions.get(key, highwater))
        return result

    async def close(self) -> None:
        """Leave the group cleanly (a rebalance follows)."""
        await self._consumer.stop()
