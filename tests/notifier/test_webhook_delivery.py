"""Webhook delivery against a real local HTTP receiver: retries, backoff, dedupe, restart, disabling."""

import json
import uuid

from datetime import datetime, timezone

import pytest

from notifier.main import build
from shared.clock import SystemClock
from shared.db import create_engine
from tests.integration.fakes import RecordingBus
from tests.notifier.conftest import classified, deliver, delivering, eventually, received
from shared.events import envelope_for
from tests.notifier.receiver import valid_signatures


async def subscribe(api, url: str, **filters) -> dict:
    response = await api.post("/v1/webhooks", json={"url": url, **filters})
    assert response.status_code == 201
    return response.json()


async def notifications_for(api, complaint_id: str) -> list[dict]:
    return (await api.get("/v1/notifications", params={"complaint_id": complaint_id})).json()


async def requests_at_least(receiver, n: int) -> bool:
    return len(receiver.requests) >= n


async def status_of(api, complaint_id: str, wanted: str):
    async def probe():
        rows = await notifications_for(api, complaint_id)
        return rows if rows and all(r["status"] == wanted for r in rows) else None
    return await eventually(probe)


async def test_fails_then_succeeds_with_one_success_and_the_configured_backoff(api, notifier, settings_for, receiver):
    receiver.script[:] = ["500", "timeout", "429:1", "204"]
    sub = await subscribe(api, receiver.url)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    async with delivering(notifier, settings_for()):
        [row] = await status_of(api, complaint, "sent")
    attempts = (await api.get(f"/v1/notifications/{row['notification_id']}/attempts")).json()
    assert [a["status_code"] for a in attempts] == [500, None, 429, 204]
    assert "Timeout" in attempts[1]["error"]
    assert row["attempts"] == 4 and len(receiver.successes()) == 1
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:])]
    # 0.1 s after the 500; 0.3 s timeout + 0.2 s backoff; Retry-After 1 s beats the 0.4 s backoff.
    assert gaps[0] >= 0.1 and gaps[1] >= 0.5 and gaps[2] >= 1.0
    # Not much later either (polling and a loaded machine account for the slack).
    assert all(gap < expected + 1.0 for gap, expected in zip(gaps, [0.1, 0.5, 1.0]))
    final = receiver.successes()[0]
    assert valid_signatures(sub["secret"], final.headers, final.body) == 1
    assert final.headers["idempotency-key"] == row["notification_id"]
    body = json.loads(final.body)
    assert (body["type"], body["subject"], body["data"]["reference"]) == (
        "kesu.complaint.received.v1", complaint, "KS-2026-000001")


async def test_a_duplicate_event_is_notified_once(api, notifier, receiver):
    await subscribe(api, receiver.url)
    complaint = str(uuid.uuid4())
    event = received(complaint)
    envelope = envelope_for(event, source="kesu/test", time=datetime.now(timezone.utc))
    await deliver(notifier, event, envelope)
    await deliver(notifier, event, envelope)
    assert len(await notifications_for(api, complaint)) == 1


async def test_filters_choose_the_subscribers(api, notifier):
    cards_high = await subscribe(api, "http://127.0.0.1:9/a", business_lines=["cards"], severities=["high"])
    await subscribe(api, "http://127.0.0.1:9/b", event_types=["kesu.sla.breached.v1"])
    await subscribe(api, "http://127.0.0.1:9/c", branches=["B999"])
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint, branch="B001"))
    await deliver(notifier, classified(complaint, severity="high"))
    rows = await notifications_for(api, complaint)
    targets = sorted((r["subscription_id"], r["template"]) for r in rows)
    # Not the received event: the business line was unknown until classification.
    assert targets == [(cards_high["webhook_id"], "kesu.complaint.classified.v1")]


async def test_a_restart_in_the_middle_of_retries_loses_nothing(api, notifier, settings_for, receiver, database_url):
    receiver.script[:] = ["500", "500", "500"]
    await subscribe(api, receiver.url)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    # The worker may be killed mid-POST: its short lease then expires and the new one takes over.
    async with delivering(notifier, settings_for(delivery_backoff_initial_s=0.3, delivery_lease_s=1.0)):
        await eventually(lambda: requests_at_least(receiver, 2))
    # A new process: its own engine and service on the same database.
    engine = create_engine(database_url)
    try:
        reborn = build(settings_for(), engine=engine, bus=RecordingBus(), clock=SystemClock())
        async with delivering(reborn, settings_for()):
            [row] = await status_of(api, complaint, "sent")
    finally:
        await engine.dispose()
    attempts = (await api.get(f"/v1/notifications/{row['notification_id']}/attempts")).json()
    assert [a["number"] for a in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[-1]["status_code"] == 204 and len(attempts) >= 3
    assert len(receiver.successes()) == 1 and len(receiver.requests) == 4
    assert {r.headers["idempotency-key"] for r in receiver.requests} == {row["notification_id"]}


async def test_persistent_failure_disables_the_subscription_until_it_is_enabled(api, notifier, settings_for, receiver):
    receiver.then = "500"
    sub = await subscribe(api, receiver.url)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    async with delivering(notifier, settings_for(webhook_disable_after_failures=3)):
        async def disabled():
            return not (await api.get(f"/v1/webhooks/{sub['webhook_id']}")).json()["enabled"]
        assert await eventually(disabled)
        await deliver(notifier, classified(complaint))  # not fanned out to a disabled subscription
        requests_when_disabled = len(receiver.requests)
        receiver.then = "204"
        patched = await api.patch(f"/v1/webhooks/{sub['webhook_id']}", json={"enabled": True})
        assert patched.json()["consecutive_failures"] == 0
        [row] = await status_of(api, complaint, "sent")
    assert requests_when_disabled == 3 and row["attempts"] == 4


async def test_redelivery_sends_a_finally_failed_notification_again(api, notifier, settings_for, receiver):
    receiver.then = "503"
    await subscribe(api, receiver.url)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    settings = settings_for(delivery_max_attempts=2)
    async with delivering(notifier, settings):
        [failed] = await status_of(api, complaint, "failed")
        receiver.then = "204"
        response = await api.post(f"/v1/notifications/{failed['notification_id']}:redeliver")
        assert response.status_code == 202 and response.json()["status"] == "pending"
        [sent] = await status_of(api, complaint, "sent")
    assert sent["attempts"] == 3 and len(receiver.successes()) == 1


@pytest.mark.parametrize("grace_s, valid_for_old", [(3600, 1), (0, 0)])
async def test_during_rotation_both_secrets_verify(api, notifier, settings_for, receiver, grace_s, valid_for_old):
    sub = await subscribe(api, receiver.url)
    rotated = (await api.post(f"/v1/webhooks/{sub['webhook_id']}:rotate-secret", json={"grace_s": grace_s})).json()
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    async with delivering(notifier, settings_for()):
        await status_of(api, complaint, "sent")
    [request] = receiver.requests
    assert valid_signatures(rotated["secret"], request.headers, request.body) == 1
    assert valid_signatures(sub["secret"], request.headers, request.body) == valid_for_old


async def test_a_deleted_subscription_cancels_what_it_had_pending(api, notifier):
    sub = await subscribe(api, "http://127.0.0.1:9/gone")
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    await api.delete(f"/v1/webhooks/{sub['webhook_id']}")
    [row] = await notifications_for(api, complaint)
    assert row["status"] == "cancelled"
