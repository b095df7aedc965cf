"""Customer messages: contact from a real intake under uvicorn, SMS gateway with quiet hours and length limits."""

import asyncio
import json
import uuid
from datetime import datetime, timezone

import httpx
import pytest

from intake import models as intake_models
from notifier.contacts import Contact, HttpContactResolver
from shared.clock import FrozenClock
from shared.events import ComplaintReceived, NotificationFailed, from_message
from tests.notifier.conftest import StaticContacts, client_for, deliver, delivering, eventually, published, received
from tests.intake_served import served_intake
from tests.notifier.servers import SmtpSink, smtp_controller
from tests.support import free_port

NEVER_QUIET = dict(sms_quiet_start="00:00", sms_quiet_end="00:00")
PHONE = "13812345678"


def sms_settings(url: str, **extra) -> dict:
    return {"sms_gateway_url": url, "sms_gateway_auth_header": "Authorization: Bearer gw-token", **extra}


async def rows(api, complaint: str, channel: str) -> list[dict]:
    return (await api.get("/v1/notifications", params={"complaint_id": complaint, "channel": channel})).json()


@pytest.fixture
async def intake_server(tmp_path):
    """Intake on SQLite served by uvicorn, with a staff key holding scope pii:reveal."""
    async with served_intake(tmp_path, reveal_channels=["mobile_app"]) as intake:
        yield intake.base_url, intake.channel_key, intake.reveal_key, intake.engine


async def test_the_acknowledgement_reaches_the_complainant_by_email_and_sms_via_intake(
        make_notifier, intake_server, receiver):
    base_url, channel_key, reveal_key, intake_engine = intake_server
    async with httpx.AsyncClient(base_url=base_url) as intake:
        created = await intake.post("/v1/complaints", headers={"Authorization": f"Bearer {channel_key}"}, json={
            "channel": "mobile_app", "content": "我的信用卡被多收了年费，要求退还。", "language": "en",
            "complainant": {"name": "张三", "phone": PHONE, "email": "zhang.san@example.com"}})
        assert created.status_code == 201, created.text
    async with intake_engine.connect() as conn:
        [row] = (await conn.execute(intake_models.outbox.select())).all()
    event = from_message([(k, v.encode()) for k, v in row.headers], row.payload).event()
    assert isinstance(event, ComplaintReceived) and event.language == "en"
    sink = SmtpSink()
    controller = smtp_controller(sink)
    try:
        notifier = make_notifier(contacts=HttpContactResolver(base_url, reveal_key), smtp_host="127.0.0.1",
                                 smtp_port=controller.port, smtp_starttls=False,
                                 **sms_settings(receiver.url), **NEVER_QUIET)
        await deliver(notifier, event)
        async with client_for(notifier) as api, delivering(notifier):
            async def both_sent():
                found = [r for c in ("email", "sms") for r in await rows(api, event.complaint_id, c)]
                return found if len(found) == 2 and all(r["status"] == "sent" for r in found) else None
            email_row, sms_row = await eventually(both_sent)
    finally:
        controller.stop()
    assert (email_row["recipient"], sms_row["recipient"]) == ("z***@example.com", "138****5678")
    [mail] = sink.messages
    body = mail.message.get_body(("plain",)).get_content()
    assert mail.rcpt_tos == ["zhang.san@example.com"] and event.reference in str(mail.message["Subject"])
    assert "within 15 days" in body and "CBIRC Order No. 3 of 2020" in body
    [request] = receiver.requests
    sent = json.loads(request.body)
    assert sent["to"] == PHONE and event.reference in sent["text"] and sent["ref"] == sms_row["notification_id"]
    assert request.headers["authorization"] == "Bearer gw-token"


async def test_without_a_contact_resolver_customer_messages_fail_finally_with_the_reason(make_notifier):
    notifier = make_notifier(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)
    complaint = str(uuid.uuid4())
    await deliver(notifier, received(complaint))
    async with client_for(notifier) as api, delivering(notifier):
        async def failed():
            found = await rows(api, complaint, "email")
            return found if found and found[0]["status"] == "failed" else None
        [row] = await eventually(failed)
    assert row["attempts"] == 1 and "KESU_NOTIFIER_CONTACT_URL" in row["last_error"]
    [failure] = [e for e in await published(notifier) if isinstance(e, NotificationFailed)]
    assert (failure.channel, failure.recipient_kind, failure.final) == ("email", "complainant", True)


SHANGHAI_23H = datetime(2026, 11, 23, 15, tzinfo=timezone.utc)
SHANGHAI_8H = datetime(2026, 11, 24, 0, tzinfo=timezone.utc)


async def test_an_sms_due_at_23h_in_shanghai_waits_until_8h(make_notifier, receiver):
    clock = FrozenClock(SHANGHAI_23H)
    complaint = str(uuid.uuid4())
    notifier = make_notifier(clock=clock, contacts=StaticContacts({complaint: Contact(phone=PHONE)}),
                             **sms_settings(receiver.url))
    await deliver(notifier, received(complaint))
    async with client_for(notifier) as api, delivering(notifier):
        await asyncio.sleep(0.3)  # several polls
        [row] = await rows(api, complaint, "sms")
        assert (row["status"], row["next_attempt_at"], receiver.requests) == ("pending", "2026-11-24T00:00:00Z", [])
        clock.set(datetime(2026, 11, 23, 23, 59, tzinfo=timezone.utc))  # 07:59 in Shanghai
        await asyncio.sleep(0.3)
        assert receiver.requests == []
        clock.set(SHANGHAI_8H)
        assert await eventually(lambda: _sent(api, complaint))
    assert len(receiver.requests) == 1 and json.loads(receiver.requests[0].body)["to"] == PHONE


async def _sent(api, complaint):
    found = await rows(api, complaint, "sms")
    return found if found and found[0]["status"] == "sent" else None


async def test_a_retry_falling_in_quiet_hours_is_deferred_to_the_morning_without_an_attempt(make_notifier, receiver):
    receiver.script[:] = ["500"]
    clock = FrozenClock(datetime(2026, 11, 23, 12, 59, tzinfo=timezone.utc))  # 20:59 in Shanghai
    complaint = str(uuid.uuid4())
    notifier = make_notifier(clock=clock, contacts=StaticContacts({complaint: Contact(phone=PHONE)}),
                             **sms_settings(receiver.url))
    await deliver(notifier, received(complaint))
    async with client_for(notifier) as api, delivering(notifier):
        async def failed_once():
            found = await rows(api, complaint, "sms")
            return found[0]["attempts"] == 1
        assert await eventually(failed_once)
        clock.set(datetime(2026, 11, 23, 13, 30, tzinfo=timezone.utc))  # 21:30: the retry is due, but quiet

        async def deferred():
            [row] = await rows(api, complaint, "sms")
            return row["next_attempt_at"] == "2026-11-24T00:00:00Z" and row
        row = await eventually(deferred)
        assert row["attempts"] == 1 and len(receiver.requests) == 1
        clock.set(SHANGHAI_8H)
        [sent] = await eventually(lambda: _sent(api, complaint))
    assert sent["attempts"] == 2
    # The deferral is not an attempt: one failure (not final), then the success.
    outcomes = [(type(e).__name__, e.channel, e.attempts, getattr(e, "final", None)) for e in await published(notifier)]
    assert outcomes == [("NotificationFailed", "sms", 1, False), ("NotificationSent", "sms", 2, None)]


async def test_a_long_chinese_sms_is_cut_to_the_part_limit_and_the_cut_recorded(make_notifier, receiver):
    complaint = str(uuid.uuid4())
    notifier = make_notifier(contacts=StaticContacts({complaint: Contact(phone=PHONE)}), sms_max_parts=1,
                             **sms_settings(receiver.url), **NEVER_QUIET)
    await deliver(notifier, received(complaint))
    async with client_for(notifier) as api, delivering(notifier):
        [row] = await eventually(lambda: _sent(api, complaint))
        content = (await api.get(f"/v1/notifications/{row['notification_id']}")).json()["content"]
    text = json.loads(receiver.requests[0].body)["text"]
    assert text == content["text"] and len(text) == 70 and text.endswith("…") and "KS-2026-000001" in text
    assert content["truncated"] is True and content["parts"] == 1 and content["original_length"] > 70
