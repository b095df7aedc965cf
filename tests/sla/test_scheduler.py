"""The deadline scheduler issues each alert exactly once per clock and level, even with two replicas."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

from shared.clock import SystemClock
from shared.db import create_engine
from shared.events import SlaBreached
from sla_tracker import main
from sla_tracker.settings import SlaSettings
from tests.integration.fakes import RecordingBus
from tests.sla.driver import SlaDriver
from tests.sla.helpers import also_run


async def alert_counts(sla: SlaDriver) -> Counter:
    return Counter(type(e).__name__ for e in await sla.published() if "Sla" in type(e).__name__
                   and type(e).__name__ not in ("SlaClockStarted",))


async def test_two_schedulers_issue_every_alert_exactly_once(sla, database_url):
    received = sla.clock.now() - timedelta(days=20)  # past 100%, short of the 150% escalation
    for n in range(40):
        await sla.receive(f"c-{n}", received)
    second = create_engine(database_url)
    try:
        replica = SlaDriver(main.build(SlaSettings(database_url=database_url), engine=second, bus=RecordingBus(),
                                       clock=sla.clock), sla.clock)

        async def drain(driver: SlaDriver) -> None:
            for _ in range(20):
                await driver.tick(limit=7)

        await asyncio.gather(drain(sla), drain(replica))
    finally:
        await second.dispose()
    assert await alert_counts(sla) == Counter({"SlaWarningIssued": 80, "SlaEscalated": 80, "SlaBreached": 40})


async def test_only_the_thresholds_already_passed_are_issued_and_a_restart_resumes(sla):
    for n in range(3):
        await sla.receive(f"d-{n}", sla.clock.now() - timedelta(days=9))  # 9 of 15+ days: past 50%, not 80%
    assert await sla.tick() == 3
    assert await sla.tick() == 0
    assert await alert_counts(sla) == Counter({"SlaWarningIssued": 3})
    restarted = SlaDriver(main.build(SlaSettings(), engine=sla.service.engine, bus=RecordingBus(), clock=sla.clock),
                          sla.clock)
    await restarted.advance_to(sla.clock.now() + timedelta(days=4))
    assert await alert_counts(sla) == Counter({"SlaWarningIssued": 6, "SlaEscalated": 3})


async def test_a_breach_is_detected_within_two_seconds_of_the_due_instant(engine, database_url):
    service = main.build(SlaSettings(database_url=database_url), engine=engine, bus=RecordingBus(),
                         clock=SystemClock())
    sla = SlaDriver(service, SystemClock())
    also_run(sla.rules, "bank-48h-7wd")
    received = datetime.now(timezone.utc) - timedelta(hours=48) + timedelta(seconds=1.5)
    await sla.receive("fast", received)
    task = asyncio.create_task(main.run_scheduler(service, sla.rules, SlaSettings()))
    try:
        for _ in range(60):
            breaches = await sla.published(SlaBreached)
            if breaches:
                break
            await asyncio.sleep(0.1)
    finally:
        # Wait for the scheduler to finish while its database still exists (teardown drops it).
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [breach] = breaches
    assert breach.clock_name == "first_reply"
    assert timedelta(0) <= breach.breached_at - breach.due_at < timedelta(seconds=2)
