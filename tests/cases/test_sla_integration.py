"""The cases service and the SLA tracker running together on the in-process bus.

Nothing is called directly: the complaint is published on complaint-events, the SLA tracker
starts its clocks, the cases service learns the due date from sla-events, and the SLA tracker
pauses and stops its clocks from the CaseStatusChanged events the cases service publishes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.cases.main import build as build_cases
from shared import migrations
from shared.bus import Record
from shared.bus.memory import InProcessBus
from shared.clock import FrozenClock
from shared.db import create_engine
from shared.events import ComplaintReceived, Money, envelope_for, to_headers
from shared.service import Runtime, topic_specs
from sla_tracker.main import build as build_sla
from sla_tracker.models import clocks
from sla_tracker.settings import SlaSettings
from tests.cases.driver import STAFF
from tests.cases.staff_fixtures import T0, make_org_tree, make_user, staff_settings


async def eventually(check, timeout_s: float = 60.0):
    """Poll until ``check()`` returns something truthy (the services work asynchronously).

    The bound only decides how long a failure takes to report; a loaded 2-core CI machine has
    needed more than 15 s for a SQLite round trip through both services.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def platform(database_url, tmp_path):
    """Cases and SLA tracker on one database and one in-process bus, with their loops running."""
    engine = create_engine(database_url)
    for name in ("cases", "sla_tracker"):
        await migrations.upgrade(engine, name)
    clock = FrozenClock(T0)
    bus = InProcessBus(f"sqlite+aiosqlite:///{tmp_path / 'bus.sqlite'}", default_partitions=2)
    cases_settings = staff_settings(database_url, tmp_path, relay_interval_s=0.05, lookback_interval_s=3600)
    cases = build_cases(cases_settings, engine=engine, bus=bus, clock=clock)
    sla = build_sla(SlaSettings(database_url=database_url, relay_interval_s=0.05), engine=engine, bus=bus,
                    clock=clock)
    async with cases.context.unit_of_work() as uow:
        await make_org_tree(uow.session, clock.now())
        for username, (role, org, team) in STAFF.items():
            await make_user(uow.session, username, role, org, team=team, now=clock.now())
    runtime = Runtime([cases, sla], bus, [engine])
    await bus.start()
    await bus.ensure_topics(topic_specs(cases_settings))
    await runtime.start()
    try:
        yield cases.context, sla, bus, clock
    finally:
        await runtime.stop()


async def _publish_complaint(bus, settings, clock, **fields) -> str:
    event = ComplaintReceived(complaint_id="c0ffee00-0000-4000-8000-000000000001", reference="KS-20261123-000001",
                              channel="branch_counter", received_at=clock.now(), content="理财产品收益与宣传不符",
                              branch_code="BJ01", amount_disputed=Money(value=Decimal("120000"), currency="CNY"),
                              **fields)
    envelope = envelope_for(event, source="kesu/intake", time=clock.now())
    await bus.publish([Record(settings.topic(event.stream), event.complaint_id.encode(), envelope.data,
                              to_headers(envelope))])
    return event.complaint_id


async def _clock_states(sla, complaint_id: str) -> dict[str, str]:
    async with sla.engine.connect() as conn:
        rows = (await conn.execute(select(clocks.c.policy, clocks.c.state)
                                   .where(clocks.c.complaint_id == complaint_id))).all()
    return dict(rows)


async def _case(context, case_id: str) -> dict | None:
    from services.cases import store

    async with context.unit_of_work() as uow:
        return await store.get(uow.session, case_id)


async def _transition(context, case_id: str, target: str, actor: str = "officer") -> None:
    from services.cases import store, workflow
    from services.cases.transitions import Status

    async with context.unit_of_work() as uow:
        case = await store.get(uow.session, case_id, for_update=True)
        if target == "assigned":
            await workflow.assign(uow, case, assignee="han.bj", team="bj-cards", org_code="BJ01", reason=None,
                                  actor=actor, settings=context.settings)
        else:
            await workflow.change_status(uow, case, Status(target), actor=actor, reason="test",
                                         settings=context.settings, via_action=target == "decision_issued")


async def test_sla_clock_pauses_while_awaiting_customer_and_stops_at_decision_issued(platform):
    context, sla, bus, clock = platform
    # A complaint the PBoC transferred runs cn-nfra-2020 and cn-pboc-2020 side by side; only the
    # latter pauses while the bank waits for the customer's supplementary material (PBoC Art. 43).
    case_id = await _publish_complaint(bus, context.settings, clock, regulator_authority="PBOC")

    async def due_known():
        from services.cases import store

        async with context.unit_of_work() as uow:
            case = await store.get(uow.session, case_id)
        return case and case["due_at"]

    due = await eventually(due_known)
    assert due - T0 >= timedelta(days=15)
    assert await eventually(lambda: _clock_states(sla, case_id)) == {"cn-nfra-2020": "running",
                                                                     "cn-pboc-2020": "running"}
    for step in ("assigned", "investigating", "awaiting_customer"):
        await _transition(context, case_id, step)

    async def paused():
        states = await _clock_states(sla, case_id)
        return states if states.get("cn-pboc-2020") == "paused" else None

    assert await eventually(paused) == {"cn-nfra-2020": "running", "cn-pboc-2020": "paused"}
    clock.advance(timedelta(days=3))
    await _transition(context, case_id, "investigating")
    await _transition(context, case_id, "external_appraisal")  # pauses cn-nfra-2020 too (Art. 18 ¶2)

    async def both_paused():
        states = await _clock_states(sla, case_id)
        return set(states.values()) == {"paused"}

    await eventually(both_paused)
    await _transition(context, case_id, "investigating")
    await _transition(context, case_id, "decision_issued")

    async def stopped():
        states = await _clock_states(sla, case_id)
        return states if set(states.values()) == {"stopped"} else None

    await eventually(stopped)

    async def case_due_cleared():
        from services.cases import store

        async with context.unit_of_work() as uow:
            case = await store.get(uow.session, case_id)
        return case["due_at"] is None

    await eventually(case_due_cleared)


async def _clocks_by_name(sla, complaint_id: str) -> dict[str, tuple[str, str]]:
    async with sla.engine.connect() as conn:
        rows = (await conn.execute(select(clocks.c.clock_name, clocks.c.state, clocks.c.policy_version)
                                   .where(clocks.c.complaint_id == complaint_id))).all()
    return {name: (state, version) for name, state, version in rows}


async def _decide(context, case_id: str, actor: str = "officer") -> None:
    """Issue a decision the way `:decide` does: a rendered letter, decision_issued, decided_at set."""
    from services.cases import decisions, letters, store

    async with context.unit_of_work() as uow:
        case = await store.get(uow.session, case_id, for_update=True)
        letter = letters.render_draft(case, now=uow.clock.now(), timezone=context.settings.timezone,
                                      bank_name=context.settings.bank_name, outcome="rejected")
        await decisions.decide(uow, case, outcome="rejected", redress_type=None, redress_amount=None,
                               root_cause="product_disclosure", letter=letter, actor=actor,
                               settings=context.settings)


async def test_a_review_request_starts_the_30_day_review_clock_and_the_review_decision_stops_it(platform):
    context, sla, bus, clock = platform
    case_id = await _publish_complaint(bus, context.settings, clock)
    assert (await eventually(lambda: _clocks_by_name(sla, case_id)))["decision"][0] == "running"
    # Both services consume the complaint independently: the SLA clock may exist before the case.
    await eventually(lambda: _case(context, case_id))
    for step in ("assigned", "investigating"):
        await _transition(context, case_id, step)
    await _decide(context, case_id)
    clock.advance(timedelta(days=5))
    await _transition(context, case_id, "review_requested")

    async def review_running():
        found = await _clocks_by_name(sla, case_id)
        return found if found.get("review_decision", ("",))[0] == "running" else None

    found = await eventually(review_running)
    # Order 3 Art. 20: the preset version in force since 2026-11-23 carries the review clock.
    assert found == {"decision": ("stopped", "2026-11-23"), "review_decision": ("running", "2026-11-23")}
    await _transition(context, case_id, "under_review")
    await _decide(context, case_id)

    async def review_stopped():
        found = await _clocks_by_name(sla, case_id)
        return found["review_decision"][0] == "stopped"

    await eventually(review_stopped)
