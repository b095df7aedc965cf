"""The bus: one Protocol, two implementations (Kafka via aiokafka; in-process with a durable log)."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

TopicPartition = tuple[str, int]
Headers = tuple[tuple[str, bytes], ...]
RevokeCallback = Callable[[set[TopicPartition]], Awaitable[None]]


@dataclass(frozen=True)
class Record:
    """A message to publish."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


@dataclass(frozen=True)
class Message:
    """A message read from a topic partition."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> bytes | None:
        """The first header with this name, if any."""
        return next((value for key, value in self.headers if key == name), None)


@dataclass(frozen=True)
class TopicSpec:
    """A topic and how it is to be created."""

    name: str
    partitions: int
    replication_factor: int = 1
    config: Mapping[str, str] = field(default_factory=dict)


class Subscription(Protocol):
    """A consumer-group member: fetch per partition, commit the next offset to read."""

    async def fetch(self, timeout_s: float, max_records: int) -> dict[TopicPartition, list[Message]]: ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None: ...

    def lag(self) -> dict[TopicPartition, int]: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Publish records with acknowledgement; join consumer groups; manage topics."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, records: Sequence[Record]) -> None: ...

    async def subscribe(
        self, group: str, topics: Sequence[str], on_revoke: RevokeCallback | None = None
    ) -> Subscription: ...

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> list[str]: ...

    async def read_topic(self, topic: str, limit: int = 1000) -> list[Message]: ...


def partition_for(key: bytes | None, partitions: int) -> int:
    """A stable partition for a key (the in-process bus; Kafka uses its own partitioner)."""
    return zlib.crc32(key or b"") % partitions
