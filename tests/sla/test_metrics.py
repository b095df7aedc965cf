"""GET /v1/sla/metrics figures and the Prometheus gauges behind the ops dashboard."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from shared.events import CaseStatusChanged
from sla_tracker import telemetry
from tests.sla.test_cli_and_api import api_client


async def test_metrics_count_open_due_soon_breached_met_and_decision_times(sla):
    now = sla.clock.now()
    await sla.receive("m-open", now - timedelta(days=1), branch_code="B1")
    await sla.receive("m-due", now - timedelta(days=15), branch_code="B1")  # due in 14 h
    await sla.receive("m-late", now - timedelta(days=20), branch_code="B2")
    await sla.receive("m-met", now - timedelta(days=10), branch_code="B2")
    await sla.deliver(CaseStatusChanged(complaint_id="m-met", to_status="decision_issued",
                                        changed_at=now - timedelta(days=6)))
    await sla.advance_to(now)
    async with api_client(sla) as client:
        body = (await client.get("/v1/sla/metrics", params={"group_by": "branch"})).json()
    groups = {g["group"]: g for g in body["groups"]}
    assert {k: groups["B1"][k] for k in ("open", "due_24h", "due_72h", "breached")} == {
        "open": 2, "due_24h": 1, "due_72h": 1, "breached": 0}
    b2 = groups["B2"]
    assert (b2["open"], b2["breached"], b2["met"], b2["on_time_rate"], b2["completion_15d_rate"]) == (1, 1, 1, 1.0, 1.0)
    # 96 h falls in the [96 h, 120 h) histogram bucket; percentiles interpolate within it.
    assert b2["time_to_decision_hours"] == {"median": 108.0, "p90": 117.6}
    assert groups["B1"]["ageing"]["0-3d"] == 1 and groups["B1"]["ageing"]["15-30d"] == 1


async def test_gauges_report_open_breached_and_clocks_by_state(sla):
    await sla.receive("g1", sla.clock.now() - timedelta(days=20), branch_code="G")
    await sla.advance_to(sla.clock.now())
    async with sla.service.unit_of_work() as uow:
        await telemetry.refresh(uow)
    labels = {"policy": "cn-nfra-2020", "branch": "G", "business_line": ""}
    assert REGISTRY.get_sample_value("kesu_sla_breached_open_clocks", labels) == 1
    assert REGISTRY.get_sample_value("kesu_sla_clocks", {"state": "breached"}) >= 1
