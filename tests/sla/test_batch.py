"""The SLA tracker's write path in batch mode: receipts of one fetch in one transaction, the metrics
rollup as append-only deltas folded in the background, exact figures before and after the fold."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from shared.bus import Message
from shared.events import ComplaintReceived, Event, SlaClockStarted, envelope_for, to_headers
from sla_tracker import rollup, stats
from sla_tracker.main import fold_rollup
from sla_tracker.models import clocks, inbox, rollup_deltas
from tests.sla.test_clocks import RECEIVED, classified
from tests.sla.test_rollup import _recounted, _rollup


def as_messages(sla, events: list[Event]) -> list[Message]:
    """Events as one partition's messages on their topic, as the bus hands them to the consumer."""
    found = []
    for offset, event in enumerate(events):
        envelope = envelope_for(event, source="test", time=sla.clock.now())
        found.append(Message(f"kesu.{event.stream}", 0, offset, event.complaint_id.encode(), envelope.data,
                             tuple(to_headers(envelope))))
    return found


def receipt(complaint_id: str, branch: str = "B1", hours: int = 0) -> ComplaintReceived:
    return ComplaintReceived(complaint_id=complaint_id, reference=f"KS-{complaint_id}", channel="web",
                             received_at=RECEIVED + timedelta(hours=hours), content="x", branch_code=branch)


async def count(sla, table) -> int:
    async with sla.service.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def metrics(sla, group_by: str | None = "branch") -> list[dict]:
    async with sla.service.unit_of_work() as uow:
        return await stats.sla_metrics(uow, start=RECEIVED - timedelta(days=1), end=sla.clock.now(), group_by=group_by)


async def test_a_batch_of_receipts_starts_each_clock_once_in_one_transaction(sla):
    await sla.deliver(classified("b0", "complex"))  # known before its receipt: the batch must apply it
    consumer = sla.service.consumers[0]
    assert consumer.batch_transactions  # the tracker's default
    events = [receipt("b0"), receipt("b1"), receipt("b2", "B2"), receipt("b1"), receipt("b3", "B2", hours=30)]

    assert await consumer.process_batch(as_messages(sla, events)) == ["processed"] * 5

    async with sla.service.engine.connect() as conn:
        started = Counter((await conn.execute(select(clocks.c.complaint_id))).scalars().all())
    assert started == {"b0": 1, "b1": 1, "b2": 1, "b3": 1}  # the repeated receipt started nothing new
    announced = await sla.published(SlaClockStarted)
    assert sorted(e.complaint_id for e in announced) == ["b0", "b1", "b2", "b3"]
    assert (await sla.clocks("b0"))["decision"]["due_date"] == date(2026, 4, 1)  # complex: 30 days
    assert (await sla.clocks("b1"))["decision"]["due_date"] == date(2026, 3, 17)
    assert await count(sla, inbox) == 5
    assert await _rollup(sla) == await _recounted(sla)


async def test_a_redelivered_batch_changes_nothing(sla):
    consumer = sla.service.consumers[0]
    messages = as_messages(sla, [receipt("r1"), receipt("r2")])
    await consumer.process_batch(messages)
    before = (await sla.published(), await count(sla, clocks), await count(sla, rollup_deltas))

    assert await consumer.process_batch(messages) == ["duplicate", "duplicate"]
    assert (await sla.published(), await count(sla, clocks), await count(sla, rollup_deltas)) == before


async def test_metrics_are_exact_before_the_deltas_are_folded(sla):
    consumer = sla.service.consumers[0]
    await consumer.process_batch(as_messages(sla, [receipt(f"m{n}", f"B{n % 3}", hours=n) for n in range(7)]))
    await sla.receive("m7", RECEIVED, branch_code="B1")  # one event, one transaction
    sla.advance(timedelta(days=20))
    await sla.advance_to(sla.clock.now())  # breaches: more deltas
    assert await count(sla, rollup_deltas) > 0

    unfolded = {group: await metrics(sla, group) for group in (None, "branch", "policy")}
    await fold_rollup(sla.service)  # what the service's folding task runs every KESU_ROLLUP_FOLD_INTERVAL_S
    assert await count(sla, rollup_deltas) == 0
    assert {group: await metrics(sla, group) for group in (None, "branch", "policy")} == unfolded
    assert {g["group"]: g["breached"] for g in unfolded["branch"]} == {"B0": 3, "B1": 3, "B2": 2}


async def test_two_folders_at_once_fold_every_delta_exactly_once(sla):
    for n in range(12):
        await sla.receive(f"f{n}", RECEIVED + timedelta(hours=n), branch_code=f"B{n % 4}")
    pending = await count(sla, rollup_deltas)

    async def fold_all() -> int:
        moved = 0
        while True:
            async with sla.service.unit_of_work() as uow:
                step = await rollup.fold(uow.session, limit=5)
            moved += step
            if step == 0:
                return moved

    assert sum(await asyncio.gather(fold_all(), fold_all())) == pending
    assert await count(sla, rollup_deltas) == 0
    assert await _rollup(sla) == await _recounted(sla)
