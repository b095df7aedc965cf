"""Notifier webhook throughput: N received complaints fanned out to one subscription, delivered
by the real delivery worker to a local receiver that verifies nothing and answers 204.

    .venv/bin/python -m bench.notifier_webhooks --n 2000 [--postgres]

SQLite in a temporary directory by default; --postgres uses a fresh database on KESU_TEST_PG_DSN
(dropped afterwards). Prints one JSON object.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone


from notifier import handlers, subscriptions
from notifier.main import build
from notifier.settings import NotifierSettings
from bench.notifier_common import database_main, time_delivery
from shared import migrations
from shared.clock import SystemClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.events import ComplaintReceived, envelope_for
from tests.integration.fakes import RecordingBus
from tests.notifier.receiver import ScriptedReceiver


def _event() -> ComplaintReceived:
    return ComplaintReceived(complaint_id=str(uuid.uuid4()), reference="KS-BENCH", channel="web",
                             received_at=datetime.now(timezone.utc), content="bench", branch_code="B001")


async def _enqueue(service, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        event = _event()
        envelope = envelope_for(event, source="bench", time=datetime.now(timezone.utc))
        async with service.unit_of_work() as uow:
            await handlers.handle_event(event, HandlerContext(uow, envelope), routing=service.context.routing)
    return time.perf_counter() - started


async def run(url: str, n: int) -> dict:
    """Enqueue n notifications, then time the worker delivering all of them."""
    settings = NotifierSettings(database_url=url, delivery_interval_s=0.01)
    engine = create_engine(url)
    await migrations.upgrade(engine, "notifier")
    service = build(settings, engine=engine, bus=RecordingBus(), clock=SystemClock())
    receiver = ScriptedReceiver()
    try:
        async with service.unit_of_work() as uow:
            await subscriptions.create(uow, url=receiver.url, description="bench")
        enqueue_s = await _enqueue(service, n)
        deliver_s = await time_delivery(service, settings, n)
    finally:
        receiver.close()
        await engine.dispose()
    return {"n": n, "database": url.split(":")[0], "enqueue_s": round(enqueue_s, 2),
            "enqueued_per_s": round(n / enqueue_s), "deliver_s": round(deliver_s, 2),
            "delivered_per_s": round(n / deliver_s), "receiver_requests": len(receiver.requests)}


def main() -> None:
    """Parse flags, run, print JSON."""
    database_main(run, default_n=2000)


if __name__ == "__main__":
    main()
