"""Dead-letter queue inspection and replay (``kesu dlq list`` / ``kesu dlq replay``)."""

from __future__ import annotations

import time

from shared.bus import Bus, Message, Record
from shared.consumer import dlq_topic



def replay_group(topic: str) -> str:
    """One replay group per topic (its name carries the prefix, so environments never share it)."""
    return f"kesu-dlq-replay.{topic}"


def describe(message: Message) -> dict:
    """A dead-lettered message as a JSON-able dict: where it came from and why it failed."""
    headers = {name: value.decode("utf-8", "replace") for name, value in message.headers}
    return {
        "dlq_topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key.decode("utf-8", "replace") if message.key else None,
        "event_type": headers.get("ce_type"),
        "event_id": headers.get("ce_id"),
        **{name: value for name, value in headers.items() if name.startswith("dlq_")},
        "value": (message.value or b"").decode("utf-8", "replace")[:2000],
    }


async def entries(bus: Bus, topics: list[str], limit: int) -> list[dict]:
    """Dead-lettered messages of the given source topics, oldest first."""
    found: list[dict] = []
    for topic in topics:
        found.extend(describe(m) for m in await bus.read_topic(dlq_topic(topic), limit))
    return found[:limit]


def original(message: Message) -> Record:
    """The message as it was before dead-lettering, addressed to its original topic."""
    topic = message.header("dlq_original_topic")
    if topic is None:
        raise ValueError(f"{message.topic}@{message.offset} has no dlq_original_topic header")
    headers = tuple((k, v) for k, v in message.headers if not k.startswith("dlq_"))
    return Record(topic=topic.decode(), key=message.key, value=message.value or b"", headers=headers)


async def replay(bus: Bus, topic: str, limit: int, *, idle_s: float = 2.0, join_timeout_s: float = 30.0) -> int:
    """Republish each dead-lettered message of a topic once (the replay group remembers)."""
    subscription = await bus.subscribe(replay_group(topic), [dlq_topic(topic)])
    replayed = 0
    started = last_seen = time.monotonic()
    try:
        while replayed < limit:
            batch = await subscription.fetch(timeout_s=0.5, max_records=limit - replayed)
            now = time.monotonic()
            if not batch:
                waited_for_join = replayed == 0 and now - started < join_timeout_s and not subscription.lag()
                if now - last_seen >= idle_s and not waited_for_join:
                    break
                continue
            last_seen = now
            messages = [m for items in batch.values() for m in items]
            await bus.publish([original(m) for m in messages])
            await subscription.commit({tp: items[-1].offset + 1 for tp, items in batch.items()})
            replayed += len(messages)
    finally:
        await subscription.close()
    return replayed
