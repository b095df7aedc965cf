"""A consumer process for the crash test: records each numbered event as a row in PostgreSQL.

Run as ``python -m tests.kafka.consumer_worker --database-url ... --topic ... --group ... --worker a``
with the ``KESU_KAFKA_*`` environment of the broker. SIGTERM stops it cleanly and prints a JSON
line of outcome counts; SIGKILL is what the test uses to crash it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter

from shared.bus import Message
from shared.bus.kafka import KafkaBus
from shared.config import CommonSettings
from shared.consumer import Consumer
from shared.events import ComplaintReceived
from shared.logging import configure_logging
from shared.retry import RetryPolicy
from tests.kafka.helpers import ResultStore, recording_handler


class CountingConsumer(Consumer):
    """A Consumer that tallies outcomes, so the test can see redeliveries the inbox skipped."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.outcomes: Counter[str] = Counter()

    async def process(self, message: Message) -> str:
        """Process as usual and count the outcome."""
        outcome = await super().process(message)
        self.outcomes[outcome] += 1
        return outcome


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: where to read, where to write, who this worker is."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--worker", required=True, help="recorded in each row it writes")
    parser.add_argument("--handler-sleep-ms", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=200)
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    """Consume until SIGTERM; then report outcome counts on stdout."""
    store = ResultStore(args.database_url)
    bus = KafkaBus(CommonSettings())
    await bus.start()
    consumer = CountingConsumer(
        name=args.group, bus=bus, topics=[args.topic],
        routes={ComplaintReceived: recording_handler(args.worker, args.handler_sleep_ms / 1000)},
        unit_of_work=store.unit_of_work,
        retry=RetryPolicy(max_attempts=10, initial_s=0.05, max_s=1.0, jitter_s=0.05),
        batch_size=args.batch_size,
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(consumer.stop()))
    try:
        await consumer.run()
    finally:
        await bus.stop()
        await store.close()
    print(json.dumps({"worker": args.worker, **consumer.outcomes}), flush=True)


if __name__ == "__main__":
    configure_logging(level="WARNING", service="consumer-worker")
    asyncio.run(main(parse_args()))
