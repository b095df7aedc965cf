"""Kesu as docker-compose runs it: PostgreSQL, a Kafka-protocol broker, one OS process per service."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.processes import WATCHED, KesuProcess, clean_env, create_api_key, run_kesu, stop_all, wait_until
from tests.e2e.webhooks import WebhookReceiver
from tests.staff_tokens import TEST_STAFF_SECRET, staff_headers
from tests.support import fresh_database, kafka_broker, kafka_settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]

SERVICES = ("intake", "classifier", "sla_tracker", "notifier")
WEBHOOK_SECRET = "e2e-webhook-secret"
COMPLAINT = {"channel": "mobile_app", "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。"}


@dataclass
class Stack:
    """The running services, a mobile_app key for intake, and the channel system's webhook endpoint."""

    services: dict[str, KesuProcess]
    key: str
    receiver: WebhookReceiver

    def client(self, service: str) -> httpx.Client:
        """An HTTP client for one service's process: intake with the channel key, the others as an admin."""
        headers = {"Authorization": f"Bearer {self.key}"} if service == "intake" else staff_headers("admin")
        return httpx.Client(base_url=self.services[service].url, timeout=10, headers=headers)


def stack_env(database_url: str, bootstrap: str, webhook_url: str) -> dict[str, str]:
    """What compose would give every container, with topics of their own on a shared broker."""
    return clean_env(
        **kafka_settings_env(bootstrap),
        KESU_DATABASE_URL=database_url,
        KESU_TOPIC_PREFIX=f"e2e-{uuid.uuid4().hex[:8]}.",
        KESU_TOPIC_PARTITIONS="3",
        KESU_ACK_WEBHOOK_URL=webhook_url,
        KESU_WEBHOOK_SECRET=WEBHOOK_SECRET,
        KESU_STAFF_JWT_SECRET=TEST_STAFF_SECRET,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Migrate, create topics, issue a key, then start every service as its own process."""
    workdir = tmp_path_factory.mktemp("multiprocess")
    # A broker of its own: consumer group ids carry no topic prefix, so members left by other
    # modules' processes on a shared broker would delay every rebalance here.
    with fresh_database() as database_url, kafka_broker() as bootstrap, \
            WebhookReceiver(WEBHOOK_SECRET.encode()) as receiver:
        env = stack_env(database_url, bootstrap, receiver.url)
        run_kesu(["migrate"], env, workdir)
        run_kesu(["topics", "ensure"], env, workdir)
        key = create_api_key("mobile_app", env, workdir)
        services = {name: KesuProcess(name, ["run", name], env, workdir) for name in SERVICES}
        try:
            for process in services.values():
                process.start()
            for process in services.values():
                process.wait_ready()
            yield Stack(services, key, receiver)
        finally:
            stop_all(services.values())


@pytest.fixture(autouse=True)
def _logs_on_failure(stack: Stack, request) -> None:
    request.node.stash[WATCHED] = list(stack.services.values())


def classified(client: httpx.Client, complaint_id: str) -> dict | None:
    """Intake's view of a complaint once the classifier's result reached it, else None."""
    view = client.get(f"/v1/complaints/{complaint_id}").json()
    return view if view.get("classification") else None


def test_a_complaint_is_classified_given_a_clock_and_acknowledged_by_signed_webhook(stack: Stack) -> None:
    with stack.client("intake") as intake:
        accepted = intake.post("/v1/complaints", json=COMPLAINT)
        assert accepted.status_code == 201, accepted.text
        complaint_id = accepted.json()["complaint_id"]
        view = wait_until(lambda: _with_deadline(intake, complaint_id), 30, "classified, with its deadline, on intake")

    with stack.client("sla_tracker") as sla:
        clocks = sla.get(f"/v1/sla/clocks/{complaint_id}").json()["clocks"]
    assert [(c["clock_name"], c["state"], c["due_date"]) for c in clocks] == [
        ("decision", "running", view["sla"]["due_date"])
    ]

    deliveries = wait_until(lambda: stack.receiver.for_complaint(complaint_id), 30, "acknowledgement webhook")
    assert len(deliveries) == 1, deliveries
    delivery = deliveries[0]
    assert delivery.signature_valid, delivery.headers
    assert abs(time.time() - int(delivery.headers["kesu-timestamp"])) < 300  # what a receiver checks against replay
    assert delivery.payload["data"]["reference"] == accepted.json()["reference"]

    with stack.client("notifier") as notifier:
        notes = wait_until(lambda: _sent(notifier, complaint_id), 10, "notification recorded as sent")
    assert [(n["rule"], n["channel"], n["attempts"]) for n in notes] == [("ack-webhook", "webhook", 1)]


def _with_deadline(intake: httpx.Client, complaint_id: str) -> dict | None:
    view = classified(intake, complaint_id)
    return view if view and view["sla"] else None


def _sent(notifier: httpx.Client, complaint_id: str) -> list[dict] | None:
    notes = notifier.get("/v1/notifications", params={"complaint_id": complaint_id}).json()
    return notes if notes and all(n["status"] == "sent" for n in notes) else None


def test_complaints_posted_while_the_classifier_is_down_are_classified_after_it_restarts(stack: Stack) -> None:
    classifier = stack.services["classifier"]
    assert classifier.terminate() in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown

    complaint_ids = asyncio.run(_post_many(stack, count=50))
    with stack.client("intake") as intake:
        time.sleep(1)  # long enough for a running classifier to have classified some
        assert not any(classified(intake, cid) for cid in complaint_ids[:5])

        classifier.start().wait_ready()

        remaining = list(complaint_ids)

        def none_remaining() -> bool:
            remaining[:] = [cid for cid in remaining if not classified(intake, cid)]
            return not remaining

        with contextlib.suppress(TimeoutError):
            wait_until(none_remaining, 45, "every complaint classified", interval_s=0.5)
    assert not remaining, f"{len(remaining)} of {len(complaint_ids)} never classified after the restart"


async def _post_many(stack: Stack, count: int) -> list[str]:
    limit = asyncio.Semaphore(8)
    headers = {"Authorization": f"Bearer {stack.key}"}
    async with httpx.AsyncClient(base_url=stack.services["intake"].url, headers=headers, timeout=10) as client:

        async def post(n: int) -> str:
            async with limit:
                response = await client.post("/v1/complaints", json={**COMPLAINT, "external_ref": f"E2E-{n}"})
            assert response.status_code == 201, response.text
            return response.json()["complaint_id"]

        return await asyncio.gather(*(post(n) for n in range(count)))
