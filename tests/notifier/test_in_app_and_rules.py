"""Rules routing events to people, in-app notifications with unread counts, urgency, dedupe, alerts."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from importlib import resources

import pytest

from notifier import alerts
from notifier.rulebook import RulebookError
from shared.events import (CaseAssigned, CaseStatusChanged, ExtensionGranted, NotificationSent, SlaBreached,
                           SlaEscalated, SlaWarningIssued, envelope_for)
from tests.notifier.conftest import (classified, client_for, deliver, delivering, eventually, published, received,
                                     seed_staff)

NOW = datetime.now(timezone.utc)


def lifecycle(complaint: str) -> list:
    """One event of every routed kind for a complaint at branch B001."""
    clock = dict(clock_id="k1", policy="cn-nfra-2020", clock_name="decision", due_at=NOW + timedelta(days=5))
    return [
        received(complaint, branch="B001"),
        CaseAssigned(complaint_id=complaint, case_id="case-1", assignee="handler.li", org_code="B001",
                     actor="lead.b001", assigned_at=NOW),
        classified(complaint, severity="high"),
        CaseStatusChanged(complaint_id=complaint, from_status="assigned", to_status="investigating", changed_at=NOW),
        ExtensionGranted(complaint_id=complaint, policy="cn-nfra-2020", clock_name="decision", kind="complex",
                         extra_days=15, reason="需外部鉴定", requested_by="handler.li", granted_at=NOW),
        SlaWarningIssued(**clock, level=80, issued_at=NOW, complaint_id=complaint),
        SlaBreached(**clock, breached_at=NOW, complaint_id=complaint),
        SlaEscalated(**clock, step=1, escalate_to="branch_head", escalated_at=NOW, complaint_id=complaint),
    ]


async def test_each_event_reaches_the_people_the_rules_name(notifier, api):
    await seed_staff(notifier)
    complaint = str(uuid.uuid4())
    for event in lifecycle(complaint):
        await deliver(notifier, event)
    rows = (await api.get("/v1/notifications", params={"complaint_id": complaint, "limit": 500})).json()
    routed = sorted((r["rule"].split(":")[0], r["channel"], r["recipient"]) for r in rows)
    # E-mail and SMS are not configured here, so only in-app notifications are recorded.
    assert routed == sorted([
        ("received", "in_app", "officer.ho"), ("received", "in_app", "duty.ho"),  # none at B001: head office
        ("assigned", "in_app", "handler.li"),
        ("classified-high", "in_app", "head.b001"), ("classified-high", "in_app", "officer.ho"),
        ("classified-high", "in_app", "duty.ho"),
        ("status-changed", "in_app", "handler.li"),
        ("extension-granted", "in_app", "handler.li"), ("extension-granted", "in_app", "lead.b001"),
        ("sla-warning", "in_app", "handler.li"),
        ("sla-breached", "in_app", "handler.li"), ("sla-breached", "in_app", "lead.b001"),
        ("sla-breached", "in_app", "head.b001"),
        ("sla-escalated", "in_app", "head.b001"),
    ])


async def test_a_duplicate_event_notifies_each_person_once(notifier, api):
    await seed_staff(notifier)
    complaint = str(uuid.uuid4())
    event = classified(complaint, severity="critical", flags=("self_harm_or_violence",))
    envelope = envelope_for(event, source="kesu/test", time=NOW)
    await deliver(notifier, event, envelope)
    first = (await api.get("/v1/notifications", params={"complaint_id": complaint})).json()
    await deliver(notifier, event, envelope)
    again = (await api.get("/v1/notifications", params={"complaint_id": complaint})).json()
    assert len(first) == 3 and [r["notification_id"] for r in again] == [r["notification_id"] for r in first]


async def test_unread_counts_per_user_and_marking_read(notifier, api):
    await seed_staff(notifier)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint, branch="B001"))
    await deliver(notifier, classified(complaint, severity="high"))
    async with delivering(notifier):
        async def all_sent():
            rows = (await api.get("/v1/notifications", params={"complaint_id": complaint})).json()
            return len(rows) == 5 and all(r["status"] == "sent" for r in rows)
        assert await eventually(all_sent)
    counts = (await api.get("/v1/notifications/unread-counts")).json()
    assert counts == [{"username": "duty.ho", "unread": 2}, {"username": "head.b001", "unread": 1},
                      {"username": "officer.ho", "unread": 2}]
    async with client_for(notifier, "complaint_officer", username="officer.ho") as officer, \
            client_for(notifier, "branch_head", username="head.b001") as head:
        inbox = (await officer.get("/v1/notifications/in-app/officer.ho")).json()
        assert len(inbox) == 2 and inbox[0]["title"].startswith("投诉 KS-2026-000001 严重程度")
        item = inbox[0]["notification_id"]
        # Only the recipient marks an item read; for anyone else it does not exist.
        assert (await head.post(f"/v1/notifications/{item}:mark-read")).status_code == 404
        read = (await officer.post(f"/v1/notifications/{item}:mark-read")).json()
        assert read["read_at"] is not None
        asked = {"username": ["officer.ho", "nobody"]}
        assert (await api.get("/v1/notifications/unread-counts", params=asked)).json() == [
            {"username": "nobody", "unread": 0}, {"username": "officer.ho", "unread": 1}]
        unread = (await officer.get("/v1/notifications/in-app/officer.ho", params={"unread_only": True})).json()
        assert [n["notification_id"] for n in unread] == [inbox[1]["notification_id"]]
        assert (await officer.post("/v1/notifications/in-app/head.b001:mark-all-read")).status_code == 403
        assert (await head.post("/v1/notifications/in-app/head.b001:mark-all-read")).json()["marked"] == 1
    sent = [e for e in await published(notifier) if isinstance(e, NotificationSent)]
    assert {(e.channel, e.recipient_kind) for e in sent} == {("in_app", "complaint_officer"),
                                                            ("in_app", "branch_head")}


async def test_urgent_self_harm_reaches_the_duty_officer_without_waiting_for_a_poll(make_notifier):
    # A poll interval far longer than the test: only the wake-up can explain a prompt delivery.
    notifier = make_notifier(delivery_interval_s=60)
    await seed_staff(notifier)
    complaint = str(uuid.uuid4())
    async with client_for(notifier) as api, delivering(notifier):
        await asyncio.sleep(0.2)  # the worker has polled once and is now asleep
        await deliver(notifier, classified(complaint, severity="critical", flags=("self_harm_or_violence",)))

        async def duty_officer_told():
            items = (await api.get("/v1/notifications/in-app/duty.ho")).json()
            return [i for i in items if i["title"].startswith("【紧急】")]
        [urgent] = await eventually(duty_officer_told, timeout_s=10)
    assert "self_harm_or_violence" in urgent["title"]


async def test_directory_entries_are_managed_over_http(api):
    entry = {"display_name": "Wang", "role": "team_lead", "org_code": "B002", "email": "wang@bank.example"}
    put = await api.put("/v1/notifications/directory/wang", json=entry)
    assert put.status_code == 200 and put.json()["on_duty"] is False and put.json()["language"] == "zh"
    assert (await api.get("/v1/notifications/directory", params={"role": "team_lead"})).json()[0]["username"] == "wang"
    bad = await api.put("/v1/notifications/directory/wang", json={**entry, "email": "nope", "language": "fr"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"email", "language"}
    assert (await api.delete("/v1/notifications/directory/wang")).status_code == 204
    assert (await api.get("/v1/notifications/directory/wang")).status_code == 404


async def test_a_disabled_subscription_raises_an_alert(make_notifier, settings_for, receiver):
    receiver.then = "500"
    notifier = make_notifier()
    await seed_staff(notifier)
    complaint = str(uuid.uuid4())
    disablings = alerts.WEBHOOK_DISABLINGS._value.get()
    async with client_for(notifier) as api:
        sub = (await api.post("/v1/webhooks", json={"url": receiver.url})).json()
        await deliver(notifier, received(complaint))
        async with delivering(notifier, settings_for(webhook_disable_after_failures=2)):
            async def officer_alerted():
                rows = (await api.get("/v1/notifications", params={"recipient": "officer.ho"})).json()
                return [r for r in rows if r["rule"].startswith("webhook-disabled") and r["status"] == "sent"]
            [alert] = await eventually(officer_alerted)
        [item] = [i for i in (await api.get("/v1/notifications/in-app/officer.ho")).json()
                  if i["notification_id"] == alert["notification_id"]]
    assert sub["webhook_id"] in item["title"] and "已停用" in item["title"] and receiver.url in item["title"]
    assert alerts.WEBHOOKS_DISABLED._value.get() == 1
    assert alerts.WEBHOOK_DISABLINGS._value.get() == disablings + 1


async def test_the_directory_seed_and_rules_file_settings_are_applied_at_start(make_notifier, tmp_path):
    seed = tmp_path / "staff.yaml"
    seed.write_text("duty.x:\n  display_name: X\n  role: complaint_officer\n  org_code: HO\n  on_duty: true\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(rulebook_text().replace("urgent: true", "urgent: yes please"))
    with pytest.raises(RulebookError, match=r"rules\.\d+\.urgent"):
        make_notifier(notifier_rules_file=str(rules))
    notifier = make_notifier(notifier_directory_file=str(seed))
    async with client_for(notifier) as api, delivering(notifier):
        async def seeded():
            return (await api.get("/v1/notifications/directory/duty.x")).status_code == 200
        assert await eventually(seeded)


def rulebook_text() -> str:
    return resources.files("notifier.data").joinpath("rules.yaml").read_text("utf-8")
