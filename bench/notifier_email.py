"""Notifier e-mail throughput: N staff e-mails (one per classified complaint) delivered by the real
delivery worker over SMTP to a local aiosmtpd server that accepts everything.

    .venv/bin/python -m bench.notifier_email --n 500 [--postgres]

SQLite in a temporary directory by default; --postgres uses a fresh database on KESU_TEST_PG_DSN
(dropped afterwards). aiosmtpd runs in its own thread of this process. Prints one JSON object.
"""

from __future__ import annotations

import time
import uuid


from notifier import directory, handlers
from notifier.main import build
from notifier.schemas import DirectoryEntry
from notifier.settings import NotifierSettings
from bench.notifier_common import database_main, time_delivery
from shared import migrations
from shared.clock import SystemClock
from shared.consumer import HandlerContext
from shared.db import create_engine
from shared.events import ComplaintClassified, envelope_for
from tests.integration.fakes import RecordingBus
from tests.notifier.servers import SmtpSink, smtp_controller

OFFICER = DirectoryEntry(display_name="总行投诉专员", role="complaint_officer", org_code="HO",
                         email="officer@bank.example")


def _event() -> ComplaintClassified:
    return ComplaintClassified(complaint_id=str(uuid.uuid4()), business_line="cards", cause="fees", emotion="angry",
                               severity="high", complexity="simple", model_version="m", taxonomy_version="t")


async def _enqueue(service, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        event = _event()
        envelope = envelope_for(event, source="bench", time=service.clock.now())
        async with service.unit_of_work() as uow:
            await handlers.handle_event(event, HandlerContext(uow, envelope), routing=service.context.routing)
    return time.perf_counter() - started


async def run(url: str, n: int) -> dict:
    """Enqueue n e-mails, then time the worker delivering all of them."""
    sink = SmtpSink()
    controller = smtp_controller(sink)
    settings = NotifierSettings(database_url=url, delivery_interval_s=0.01, smtp_host="127.0.0.1",
                                smtp_port=controller.port, smtp_starttls=False)
    engine = create_engine(url)
    await migrations.upgrade(engine, "notifier")
    service = build(settings, engine=engine, bus=RecordingBus(), clock=SystemClock())
    try:
        async with service.unit_of_work() as uow:
            await directory.put(uow, "officer.ho", OFFICER)
        enqueue_s = await _enqueue(service, n)
        deliver_s = await time_delivery(service, settings, n)
    finally:
        controller.stop()
        await engine.dispose()
    return {"n": n, "database": url.split(":")[0], "enqueue_s": round(enqueue_s, 2),
            "enqueued_per_s": round(n / enqueue_s), "deliver_s": round(deliver_s, 2),
            "delivered_per_s": round(n / deliver_s, 1), "messages_received": len(sink.messages)}


def main() -> None:
    """Parse flags, run, print JSON."""
    database_main(run, default_n=500)


if __name__ == "__main__":
    main()
