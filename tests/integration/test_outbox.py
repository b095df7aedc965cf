"""The transactional outbox and its relay, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from intake import handlers, models
from intake.schemas import ComplaintCreate
from shared.clock import SystemClock
from shared.outbox import OutboxRelay
from tests.integration.fakes import RecordingBus

KEY = b"test-pseudonym-key"


def complaint(text: str = "信用卡年费被乱收") -> ComplaintCreate:
    return ComplaintCreate(channel="mobile_app", content=text)


async def receive(service, count: int = 1) -> list[str]:
    ids = []
    for n in range(count):
        async with service.unit_of_work() as uow:
            accepted = await handlers.receive_complaint(uow, complaint(f"投诉 {n}"), pseudonym_key=KEY, timezone="Asia/Shanghai")
        ids.append(accepted.complaint_id)
    return ids


async def count(engine, table) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_outbox_row_is_written_with_the_complaint(intake, engine):
    [complaint_id] = await receive(intake)
    async with engine.connect() as conn:
        row = (await conn.execute(select(models.outbox))).one()
    assert row.key == complaint_id
    assert row.topic == "kesu.complaint-events"
    assert ["ce_type", "kesu.complaint.received.v1"] in row.headers
    assert row.published_at is None
    assert await count(engine, models.complaints) == 1


async def test_nothing_is_written_when_the_transaction_rolls_back(intake, engine):
    with pytest.raises(RuntimeError):
        async with intake.unit_of_work() as uow:
            await handlers.receive_complaint(uow, complaint(), pseudonym_key=KEY, timezone="Asia/Shanghai")
            raise RuntimeError("crash before commit")
    assert await count(engine, models.complaints) == 0
    assert await count(engine, models.outbox) == 0


async def test_relay_publishes_each_row_once_in_order_and_marks_it(intake, engine, bus):
    ids = await receive(intake, 30)
    assert await intake.relay.publish_pending() == 30
    assert await intake.relay.publish_pending() == 0
    assert [r.key.decode() for r in bus.published] == ids
    assert await intake.relay.backlog() == 0


async def test_relay_keeps_rows_pending_while_the_bus_is_down(intake, bus):
    await receive(intake, 3)
    bus.failing = True
    with pytest.raises(ConnectionError):
        await intake.relay.publish_pending()
    assert await intake.relay.backlog() == 3
    bus.failing = False
    assert await intake.relay.publish_pending() == 3
    assert len(bus.published) == 3


async def test_two_relays_publish_each_row_exactly_once(intake, engine, second_engine):
    await receive(intake, 120)
    shared_bus = RecordingBus(delay_s=0.005)
    relays = [
        OutboxRelay(service="intake", engine=e, table=models.outbox, bus=shared_bus, clock=SystemClock(), batch_size=7)
        for e in (engine, second_engine)
    ]

    async def drain(relay: OutboxRelay) -> None:
        for _ in range(400):
            await relay.publish_pending()
            if await relay.backlog() == 0:
                return
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(r) for r in relays))
    published = shared_bus.event_ids()
    assert len(published) == 120
    assert len(set(published)) == 120
    async with engine.connect() as conn:
        in_id_order = (await conn.execute(select(models.outbox.c.event_id).order_by(models.outbox.c.id))).scalars().all()
    assert published == list(in_id_order), "batches from the two relays interleaved out of order"


async def test_commits_landing_within_the_linger_are_published_in_one_batch(intake, engine):
    bus = RecordingBus()
    relay = OutboxRelay(service="intake", engine=engine, table=models.outbox, bus=bus, clock=SystemClock(),
                        interval_s=30, linger_s=0.5)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.3)  # the relay has found nothing and waits for a wake-up
        for _ in range(3):
            await receive(intake)
            relay.wake()  # as each unit of work's commit does
        # Wait for the mark, not the send: the relay sends first and marks after, so
        # cancelling between the two would (rightly) leave the rows pending.
        for _ in range(100):
            if len(bus.published) >= 3 and await relay.backlog() == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert bus.batch_sizes == [3]
    assert await relay.backlog() == 0
