"""``kesu up`` as a user runs it: one OS process, SQLite and the in-process bus under ``--data-dir``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.processes import WATCHED, KesuProcess, clean_env, create_api_key, stop_all, wait_until

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = {"channel": "mobile_app", "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。"}
PROBLEM_JSON = "application/problem+json"


@dataclass
class Embedded:
    """A running ``kesu up`` and a channel key for it."""

    process: KesuProcess
    data_dir: Path
    key: str

    def client(self) -> httpx.Client:
        """An HTTP client that authenticates as the mobile_app channel."""
        return httpx.Client(base_url=self.process.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10)


def start_embedded(workdir: Path, processes: list[KesuProcess]) -> Embedded:
    """Start ``kesu up`` on a fresh data directory and issue a mobile_app key."""
    data_dir = workdir / "data"
    env = clean_env()
    process = KesuProcess("kesu-up", ["up", "--data-dir", str(data_dir)], env, workdir)
    processes.append(process)
    process.start().wait_ready()
    return Embedded(process, data_dir, create_api_key("mobile_app", env, workdir, data_dir))


def restart(kesu: Embedded) -> None:
    """Start the same process again on the same data directory and port."""
    kesu.process.start().wait_ready()


def post_complaint(client: httpx.Client, body: dict = COMPLAINT) -> dict:
    """POST a complaint and insist it was accepted."""
    response = client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_until_processed(client: httpx.Client, complaint_id: str, timeout_s: float = 20) -> dict:
    """Poll GET until the complaint has its classification and its SLA deadline."""

    def processed() -> dict | None:
        view = client.get(f"/v1/complaints/{complaint_id}").json()
        return view if view.get("classification") and view.get("sla") else None

    return wait_until(processed, timeout_s, f"complaint {complaint_id} classified with a deadline")


@pytest.fixture(scope="module")
def shared_kesu(tmp_path_factory) -> Iterator[Embedded]:
    """One ``kesu up`` for the tests that do not restart it."""
    processes: list[KesuProcess] = []
    try:
        yield start_embedded(tmp_path_factory.mktemp("kesu-up"), processes)
    finally:
        stop_all(processes)


@pytest.fixture
def kesu(shared_kesu: Embedded, request) -> Embedded:
    """The shared ``kesu up``, its log attached to this test's report if it fails."""
    request.node.stash[WATCHED] = [shared_kesu.process]
    return shared_kesu


def test_a_chinese_complaint_is_classified_and_due_fifteen_local_days_after_receipt(kesu: Embedded) -> None:
    with kesu.client() as client:
        before = datetime.now(timezone.utc)
        accepted = post_complaint(client)
        after = datetime.now(timezone.utc)
        view = wait_until_processed(client, accepted["complaint_id"])

    received_at = datetime.fromisoformat(accepted["received_at"])
    assert before - timedelta(seconds=1) <= received_at <= after + timedelta(seconds=1)
    assert view["language"] == "zh"
    assert view["classification"]["business_line"]
    # Civil Code art. 201: the day of receipt is not counted; the period ends at local midnight.
    receipt_day = received_at.astimezone(SHANGHAI).date()
    due_date = date.fromisoformat(view["sla"]["due_date"])
    assert due_date == receipt_day + timedelta(days=15)
    end_of_due_date = datetime.combine(due_date + timedelta(days=1), time.min, SHANGHAI)
    assert datetime.fromisoformat(view["sla"]["due_at"]) == end_of_due_date
    assert view["sla"]["state"] == "running"


def test_api_docs_health_and_readiness_are_served(kesu: Embedded) -> None:
    with kesu.client() as client:
        assert client.get("/docs").status_code == 200
        assert "/v1/complaints" in client.get("/openapi.json").json()["paths"]
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}


def test_metrics_expose_http_event_and_outbox_figures(kesu: Embedded) -> None:
    with kesu.client() as client:
        wait_until_processed(client, post_complaint(client)["complaint_id"])
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    for sample in ('kesu_http_request_duration_seconds_count{method="POST",route="/v1/complaints",status="201"}',
                   'kesu_events_handled_total{consumer="kesu.classifier",outcome="processed"',
                   'kesu_outbox_published_total{service="intake"}', "kesu_consumer_lag{"):
        assert sample in metrics.text


def test_metrics_count_accepted_complaints_and_clocks_by_state(kesu: Embedded) -> None:
    with kesu.client() as client:
        wait_until_processed(client, post_complaint(client)["complaint_id"])
        text = client.get("/metrics").text
    missing = [s for s in ('kesu_complaints_received_total{channel="mobile_app"}', 'kesu_sla_clocks{state="running"}')
               if s not in text]
    assert not missing, f"declared in shared/metrics.py but never recorded: {missing}"


def test_a_request_without_a_key_is_401_problem_json(kesu: Embedded) -> None:
    response = httpx.post(f"{kesu.process.url}/v1/complaints", json=COMPLAINT)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_a_key_used_for_another_channel_is_403(kesu: Embedded) -> None:
    with kesu.client() as client:
        response = client.post("/v1/complaints", json={**COMPLAINT, "channel": "web"})
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["field"] == "channel"


def test_an_invalid_body_is_422_naming_each_field(kesu: Embedded) -> None:
    with kesu.client() as client:
        response = client.post("/v1/complaints", json={"channel": "mobile_app", "content": "   ", "region_code": "31"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert {e["field"] for e in response.json()["errors"]} == {"content", "region_code"}


def test_malformed_json_is_400(kesu: Embedded) -> None:
    with kesu.client() as client:
        response = client.post("/v1/complaints", content=b'{"channel": "mobile_app",',
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON


def test_complaints_and_keys_survive_a_graceful_restart(tmp_path: Path, processes: list[KesuProcess]) -> None:
    kesu = start_embedded(tmp_path, processes)
    with kesu.client() as client:
        first = post_complaint(client)
        before = wait_until_processed(client, first["complaint_id"])

    assert kesu.process.terminate() in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    restart(kesu)

    with kesu.client() as client:
        assert client.get(f"/v1/complaints/{first['complaint_id']}").json() == before
        second = post_complaint(client)
        wait_until_processed(client, second["complaint_id"])
    assert second["reference"] > first["reference"]  # the daily sequence continued, not restarted


def test_complaint_survives_a_crash_right_after_acceptance(tmp_path: Path, processes: list[KesuProcess]) -> None:
    kesu = start_embedded(tmp_path, processes)
    # A burst, so that some events are surely still in the outbox or on the bus at the kill.
    accepted = asyncio.run(_post_burst(kesu, count=20))
    kesu.process.kill()

    restart(kesu)

    with kesu.client() as client:
        for complaint in accepted:
            view = wait_until_processed(client, complaint["complaint_id"])
            assert view["reference"] == complaint["reference"]
        # The premise: the crash interrupted work that only the restarted process finished.
        assert "kesu_events_handled_total{" in client.get("/metrics").text


async def _post_burst(kesu: Embedded, count: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {kesu.key}"}
    async with httpx.AsyncClient(base_url=kesu.process.url, headers=headers, timeout=10) as client:
        responses = await asyncio.gather(*(client.post("/v1/complaints", json=COMPLAINT) for _ in range(count)))
    assert [r.status_code for r in responses] == [201] * count
    return [r.json() for r in responses]
