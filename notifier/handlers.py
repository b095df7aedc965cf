"""Notifier use cases: record notifications from events; claim, deliver and settle them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from notifier.models import attempts, notifications
from notifier.webhook import DeliveryResult
from shared.consumer import HandlerContext
from shared.db import is_postgres
from shared.events import ComplaintReceived, NotificationFailed, NotificationSent
from shared.retry import RetryPolicy
from shared.uow import UnitOfWork

ACK_RULE = "ack-webhook"


def acknowledgement_body(event: ComplaintReceived, event_id: str, now: datetime) -> dict:
    """The CloudEvents JSON a channel system receives when its complaint is acknowledged."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "kesu/notifier",
        "type": "kesu.notification.acknowledgement.v1",
        "subject": event.complaint_id,
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "complaint_id": event.complaint_id,
            "reference": event.reference,
            "channel": event.channel,
            "external_ref": event.external_ref,
            "received_at": event.received_at.isoformat(),
            "next_steps": "The complaint is registered and will be decided within 15 days of receipt.",
        },
    }


async def record_acknowledgement(event: ComplaintReceived, ctx: HandlerContext, *, webhook_url: str | None) -> None:
    """One acknowledgement per received complaint (by rule and event), if a webhook is configured."""
    if not webhook_url:
        return
    now = ctx.uow.clock.now()
    builder = pg_insert if is_postgres(ctx.uow.session.bind) else sqlite_insert
    await ctx.uow.session.execute(
        builder(notifications).values(
            id=str(uuid.uuid4()), complaint_id=event.complaint_id, rule=ACK_RULE, event_id=ctx.envelope.id,
            channel="webhook", recipient=webhook_url, recipient_kind="channel_system",
            template="acknowledgement", body=acknowledgement_body(event, ctx.envelope.id, now),
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        ).on_conflict_do_nothing()
    )


async def claim_due(uow: UnitOfWork, *, lease: timedelta, limit: int = 50) -> list:
    """Take pending notifications that are due, leasing them so no other worker sends them too."""
    now = uow.clock.now()
    query = (
        select(notifications)
        .where(notifications.c.status == "pending", notifications.c.next_attempt_at <= now)
        .order_by(notifications.c.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(uow.session.bind):
        query = query.with_for_update(skip_locked=True)
    rows = (await uow.session.execute(query)).all()
    if rows:
        await uow.session.execute(
            update(notifications).where(notifications.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + lease)
        )
    return rows


async def settle(uow: UnitOfWork, notification, result: DeliveryResult, *, policy: RetryPolicy) -> None:
    """Record an attempt; mark sent, schedule a retry, or give up after the last attempt."""
    now = uow.clock.now()
    number = notification.attempts + 1
    await uow.session.execute(
        insert(attempts).values(notification_id=notification.id, number=number, attempted_at=now,
                                status_code=result.status_code, error=result.error, duration_ms=result.duration_ms)
    )
    if result.ok:
        await _mark(uow, notification, number, status="sent", sent_at=now, next_attempt_at=None, last_error=None)
        await uow.publish(NotificationSent(**_event_fields(notification, number), sent_at=now))
        return
    final = number >= policy.max_attempts
    delay = max(policy.delay_after(number), result.retry_after_s or 0)
    await _mark(uow, notification, number, status="failed" if final else "pending",
                next_attempt_at=None if final else now + timedelta(seconds=delay), last_error=result.error)
    await uow.publish(NotificationFailed(**_event_fields(notification, number), error=result.error or "unknown",
                                         final=final, failed_at=now))


async def _mark(uow: UnitOfWork, notification, number: int, **values) -> None:
    await uow.session.execute(
        update(notifications).where(notifications.c.id == notification.id).values(attempts=number, **values)
    )


def _event_fields(notification, number: int) -> dict:
    return dict(complaint_id=notification.complaint_id, notification_id=notification.id,
                channel=notification.channel, template=notification.template,
                recipient_kind=notification.recipient_kind, attempts=number)


async def list_notifications(uow: UnitOfWork, *, complaint_id: str | None, status: str | None, limit: int) -> list:
    """Notifications, newest first, optionally for one complaint or status."""
    query = select(notifications).order_by(notifications.c.created_at.desc()).limit(limit)
    if complaint_id:
        query = query.where(notifications.c.complaint_id == complaint_id)
    if status:
        query = query.where(notifications.c.status == status)
    return (await uow.session.execute(query)).all()
