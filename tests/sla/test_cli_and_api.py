"""`kesu sla preview`, `kesu calendar import`, and the HTTP routes that mirror them."""

from __future__ import annotations

import json
from datetime import date

import httpx
import typer
from typer.testing import CliRunner

from shared.http import install_problem_handlers
from sla_tracker import calendar_store
from sla_tracker.api import router
from sla_tracker.cli import calendar_app, sla_app
from sla_tracker.main import refresh_calendars
from tests.sla.helpers import at
from tests.staff_tokens import staff_headers

runner = CliRunner()


def kesu() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(sla_app, name="sla")
    app.add_typer(calendar_app, name="calendar")
    return app


def test_preview_prints_the_worked_example_as_json():
    result = runner.invoke(kesu(), ["sla", "preview", "--policy", "cn-nfra-2020", "--received-at", "2025-09-16T10:00+08:00"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["policy"], body["received_at"]) == ("cn-nfra-2020", "2025-09-16T10:00:00+08:00")
    [clock] = body["clocks"]
    assert {k: clock[k] for k in ("name", "due_at", "due_date", "legal_latest_date", "day_type", "provisional")} == {
        "name": "decision", "due_at": "2025-10-01T16:00:00Z", "due_date": "2025-10-01",
        "legal_latest_date": "2025-10-09", "day_type": "calendar_days", "provisional": False}


def test_preview_of_complex_internal_rule_counts_working_days_and_flags_unconfirmed_years():
    result = runner.invoke(kesu(), ["sla", "preview", "--policy", "bank-48h-7wd", "--received-at",
                                    "2026-12-28T09:00+08:00", "--complexity", "complex"])
    clocks = {c["name"]: c for c in json.loads(result.output)["clocks"]}
    assert clocks["first_reply"]["due_at"] == "2026-12-30T01:00:00Z"
    assert clocks["initial_feedback"]["provisional"] is True
    assert clocks["initial_feedback"]["day_type"] == "working_days"


def test_preview_rejects_unknown_policies_and_naive_times():
    assert runner.invoke(kesu(), ["sla", "preview", "--policy", "nope", "--received-at", "2026-01-01T00:00+08:00"]).exit_code == 2
    assert runner.invoke(kesu(), ["sla", "preview", "--policy", "us-cfpb", "--received-at", "2026-01-01T00:00"]).exit_code == 2


def test_calendar_import_rejects_a_file_with_unknown_calendar(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"calendar": "XX", "version": "v", "days": []}))
    result = runner.invoke(kesu(), ["calendar", "import", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "unknown calendar" in result.output


NOTICE_2027 = {"calendar": "CN", "version": "国办发明电 2027 (test)",
               "years": {"2027": {"status": "confirmed", "source_url": "https://www.gov.cn/example"}},
               "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
                        {"date": "2027-01-02", "kind": "holiday", "name": "元旦"},
                        {"date": "2027-01-04", "kind": "holiday", "name": "元旦"},
                        {"date": "2027-01-09", "kind": "makeup_workday", "name": "调休上班"}]}


async def test_an_import_makes_provisional_clocks_exact_and_the_service_recomputes_them(sla, tmp_path):
    from tests.sla.helpers import also_run

    also_run(sla.rules, "bank-1357")
    await sla.receive("p1", at("2026-12-30", 9))
    before = (await sla.clocks("p1"))["satisfaction_check"]
    assert before["provisional"] and before["due_date"] == date(2027, 1, 8)
    async with sla.service.unit_of_work() as uow:
        await calendar_store.store(uow, NOTICE_2027)
    await refresh_calendars(sla.service, sla.rules)
    after = (await sla.clocks("p1"))["satisfaction_check"]
    # 12-31, then 1-5..1-8 and the make-up Saturday 1-9: seven working days end on 11 January.
    assert not after["provisional"] and after["due_date"] == date(2027, 1, 11)


def test_calendar_import_stores_into_the_embedded_database(tmp_path):
    notice = tmp_path / "notice.json"
    notice.write_text(json.dumps(NOTICE_2027, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(kesu(), ["calendar", "import", str(notice), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "confirmed years 2027" in result.output


def api_client(sla) -> httpx.AsyncClient:
    from fastapi import FastAPI

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.sla_tracker = sla.service.context
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sla",
                             headers=staff_headers("handler"))


async def test_http_preview_mirrors_the_cli_and_clocks_404_when_unknown(sla):
    async with api_client(sla) as client:
        preview = await client.get("/v1/sla/preview", params={"policy": "cn-nfra-2020", "received_at": "2025-09-30T10:00+08:00"})
        assert preview.json()["clocks"][0]["due_date"] == "2025-10-15"
        assert (await client.get("/v1/sla/preview", params={"policy": "x", "received_at": "2025-09-30T10:00+08:00"})).status_code == 404
        missing = await client.get("/v1/sla/clocks/nope")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_every_sla_route_needs_a_staff_token(sla):
    async with api_client(sla) as client:
        for path in ("/v1/sla/clocks/nope", "/v1/sla/metrics", "/v1/sla/preview?policy=cn-nfra-2020"):
            response = await client.get(path, headers={"Authorization": ""})
            assert response.status_code == 401, (path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
        auditor = await client.get("/v1/sla/metrics", headers=staff_headers("auditor"))
        assert auditor.status_code == 200
