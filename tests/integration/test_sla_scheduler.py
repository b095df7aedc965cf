"""The deadline scheduler issues each warning and breach exactly once, even with two replicas."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from shared.consumer import HandlerContext
from shared.events import ComplaintReceived, envelope_for
from shared.service import assemble
from sla_tracker import handlers, models
from sla_tracker.settings import SlaSettings
from tests.integration.fakes import RecordingBus

LEVELS = [50, 80]


async def start_clocks(sla, count: int, days_ago: int) -> None:
    received_at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    for n in range(count):
        event = ComplaintReceived(complaint_id=f"c-{n}", reference=f"KS-{n}", channel="web",
                                  received_at=received_at, content="x")
        async with sla.unit_of_work() as uow:
            ctx = HandlerContext(uow=uow, envelope=envelope_for(event, source="t", time=received_at))
            await handlers.start_decision_clock(event, ctx, tz="Asia/Shanghai", levels=LEVELS)


async def alert_types(engine) -> Counter:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(models.outbox.c.headers))).scalars().all()
    types = [dict(headers)["ce_type"] for headers in rows]
    return Counter(t for t in types if "clock_started" not in t)


async def test_two_schedulers_issue_every_alert_exactly_once(sla, engine, second_engine, database_url):
    await start_clocks(sla, 40, days_ago=20)
    replica = assemble(name="sla_tracker", settings=SlaSettings(database_url=database_url), engine=second_engine,
                       bus=RecordingBus(), clock=sla.clock, outbox=models.outbox, inbox=models.inbox)

    async def tick(service) -> None:
        for _ in range(20):
            async with service.unit_of_work() as uow:
                await handlers.issue_due_alerts(uow, levels=LEVELS, limit=7)

    await asyncio.gather(tick(sla), tick(replica))
    assert await alert_types(engine) == Counter({
        "kesu.sla.warning_issued.v1": 80, "kesu.sla.breached.v1": 40,
    })


async def test_only_the_thresholds_already_passed_are_issued(sla, engine):
    await start_clocks(sla, 3, days_ago=9)  # 9 of 15+ days: past 50%, not yet 80%
    async with sla.unit_of_work() as uow:
        await handlers.issue_due_alerts(uow, levels=LEVELS)
    async with sla.unit_of_work() as uow:
        assert await handlers.issue_due_alerts(uow, levels=LEVELS) == 0
    assert await alert_types(engine) == Counter({"kesu.sla.warning_issued.v1": 3})
