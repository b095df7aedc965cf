"""E-mail to a real aiosmtpd server: multipart text + HTML, Chinese intact, STARTTLS + AUTH, retries, restart."""

import uuid
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest

from notifier.main import build
from shared.clock import SystemClock
from shared.db import create_engine
from shared.events import NotificationFailed, NotificationSent
from tests.integration.fakes import RecordingBus
from tests.notifier.conftest import (classified, client_for, deliver, delivering, eventually, published, seed_staff)
from tests.notifier.servers import SmtpSink, self_signed, smtp_controller
from tests.support import free_port

OFFICER = {"officer.ho": dict(display_name="总行投诉专员", role="complaint_officer", org_code="HO",
                              email="officer@bank.example")}


@pytest.fixture
def smtp():
    """A plain SMTP server collecting messages."""
    sink = SmtpSink()
    controller = smtp_controller(sink)
    yield sink, controller.port
    controller.stop()


def mail_settings(port: int, **extra) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
            "smtp_from": "Kesu 客诉 <kesu@bank.example>", **extra}


async def email_rows(api, complaint: str, status: str | None = None) -> list[dict]:
    rows = (await api.get("/v1/notifications", params={"complaint_id": complaint, "channel": "email"})).json()
    return [r for r in rows if status is None or r["status"] == status]


async def test_staff_email_is_multipart_text_and_html_with_chinese_intact(make_notifier, smtp):
    sink, port = smtp
    notifier = make_notifier(**mail_settings(port))
    await seed_staff(notifier, OFFICER)
    complaint = str(uuid.uuid4())
    await deliver(notifier, classified(complaint, severity="high"))
    async with client_for(notifier) as api, delivering(notifier):
        [row] = await eventually(lambda: email_rows(api, complaint, "sent"))
        content = (await api.get(f"/v1/notifications/{row['notification_id']}")).json()["content"]
    [received] = sink.messages
    message = received.message
    assert received.rcpt_tos == ["officer@bank.example"] and message["To"] == "officer@bank.example"
    assert message["From"] == "Kesu 客诉 <kesu@bank.example>"
    assert str(message["Subject"]) == content["subject"] and "严重程度" in content["subject"]
    assert message["Message-ID"].endswith("@bank.example>") and parsedate_to_datetime(message["Date"])
    assert message["Kesu-Notification-Id"] == row["notification_id"]
    assert message.get_content_type() == "multipart/alternative"
    text, html = (message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))
    assert text.strip() == content["text"] and html.strip() == content["html"].strip()
    assert "总行投诉专员" in text and "<li>" in html
    [sent] = [e for e in await published(notifier) if isinstance(e, NotificationSent)
              and e.notification_id == row["notification_id"]]
    assert (sent.channel, sent.recipient_kind, sent.attempts) == ("email", "complaint_officer", 1)


async def test_starttls_and_auth_are_used_when_configured(make_notifier, tmp_path):
    cert, key = self_signed(tmp_path)
    sink = SmtpSink()
    controller = smtp_controller(sink, tls=(cert, key))
    try:
        notifier = make_notifier(**mail_settings(controller.port, smtp_starttls=True, smtp_ca_file=str(cert),
                                                 smtp_username="kesu", smtp_password="s3cret"))
        await seed_staff(notifier, OFFICER)
        complaint = str(uuid.uuid4())
        await deliver(notifier, classified(complaint, severity="high"))
        async with client_for(notifier) as api, delivering(notifier):
            assert await eventually(lambda: email_rows(api, complaint, "sent"))
    finally:
        controller.stop()
    assert sink.logins == ["kesu"] and len(sink.messages) == 1


async def test_a_refusing_server_is_retried_with_backoff_then_failed_finally_and_redelivered(make_notifier, smtp):
    sink, port = smtp
    sink.refuse = "554 5.7.1 rejected"
    notifier = make_notifier(**mail_settings(port, delivery_max_attempts=3))
    await seed_staff(notifier, OFFICER)
    complaint = str(uuid.uuid4())
    await deliver(notifier, classified(complaint, severity="high"))
    async with client_for(notifier) as api, delivering(notifier):
        [row] = await eventually(lambda: email_rows(api, complaint, "failed"))
        attempts = (await api.get(f"/v1/notifications/{row['notification_id']}/attempts")).json()
        sink.refuse = None
        assert (await api.post(f"/v1/notifications/{row['notification_id']}:redeliver")).status_code == 202
        [again] = await eventually(lambda: email_rows(api, complaint, "sent"))
    assert [a["status_code"] for a in attempts] == [554, 554, 554] and "rejected" in attempts[0]["error"]
    times = [datetime.fromisoformat(a["attempted_at"]) for a in attempts]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # 0.1 s, then 0.2 s (exponential)
    failures = [e for e in await published(notifier) if isinstance(e, NotificationFailed)]
    assert [(e.channel, e.attempts, e.final) for e in failures] == [("email", 1, False), ("email", 2, False),
                                                                     ("email", 3, True)]
    assert again["attempts"] == 4 and len(sink.messages) == 1


async def test_a_restart_while_the_server_is_unreachable_loses_nothing(make_notifier, settings_for, database_url):
    port = free_port()  # nothing listens yet: connection refused
    overrides = mail_settings(port, delivery_backoff_initial_s=0.2)
    notifier = make_notifier(**overrides)
    await seed_staff(notifier, OFFICER)
    complaint = str(uuid.uuid4())
    await deliver(notifier, classified(complaint, severity="high"))
    async with client_for(notifier) as api:
        async def failed_twice():
            rows = await email_rows(api, complaint)
            return rows and rows[0]["attempts"] >= 2
        async with delivering(notifier):
            assert await eventually(failed_twice)
        sink = SmtpSink()
        controller = smtp_controller(sink, port)
        engine = create_engine(database_url)
        try:
            reborn = build(settings_for(**overrides), engine=engine, bus=RecordingBus(), clock=SystemClock())
            async with delivering(reborn):
                [row] = await eventually(lambda: email_rows(api, complaint, "sent"))
            attempts = (await api.get(f"/v1/notifications/{row['notification_id']}/attempts")).json()
        finally:
            controller.stop()
            await engine.dispose()
    assert [a["number"] for a in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[0]["error"].startswith("SMTPConnect") and len(sink.messages) == 1
