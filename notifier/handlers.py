"""Notifier use cases: record notifications from events; claim, deliver and settle them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import insert, or_, select, update

from notifier import rules
from notifier.models import attempts, complaints, notifications, webhooks
from notifier.webhook import DeliveryResult
from shared.consumer import HandlerContext
from shared.db import is_postgres, upsert_insert
from shared.events import (ComplaintClassified, ComplaintReceived, ComplaintReclassified, Envelope, Event,
                           NotificationFailed, NotificationSent)
from shared.retry import RetryPolicy
from shared.uow import UnitOfWork

ACK_RULE = "ack-webhook"
log = structlog.get_logger()


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


def cloudevent_body(event: Event, envelope: Envelope) -> dict:
    """The event as a structured-mode CloudEvent, as a subscriber receives it."""
    return {
        "specversion": envelope.specversion, "id": envelope.id, "source": envelope.source,
        "type": envelope.type, "subject": envelope.subject, "time": envelope.time.isoformat(),
        "datacontenttype": "application/json", "correlationid": envelope.correlation_id,
        "data": event.model_dump(mode="json"),
    }


def _upsert(uow: UnitOfWork, table):
    return upsert_insert(uow.session.bind, table)


async def _record(uow: UnitOfWork, **values) -> None:
    """Insert a notification once per (rule, event): a redelivered event adds nothing."""
    now = uow.clock.now()
    await uow.session.execute(_upsert(uow, notifications).values(
        id=str(uuid.uuid4()), status="pending", attempts=0, retry_base=0, next_attempt_at=now,
        created_at=now, **values,
    ).on_conflict_do_nothing())


async def handle_event(event: Event, ctx: HandlerContext, *, ack_webhook_url: str | None) -> None:
    """Learn the complaint's attributes, fan out to subscriptions, acknowledge new complaints."""
    facts = await remember_facts(event, ctx.uow)
    await fan_out(event, ctx, facts)
    if isinstance(event, ComplaintReceived):
        await record_acknowledgement(event, ctx, webhook_url=ack_webhook_url)


async def record_acknowledgement(event: ComplaintReceived, ctx: HandlerContext, *, webhook_url: str | None) -> None:
    """One acknowledgement per received complaint (by rule and event), if a webhook is configured."""
    if not webhook_url:
        return
    await _record(ctx.uow, complaint_id=event.complaint_id, rule=ACK_RULE, event_id=ctx.envelope.id,
                  channel="webhook", recipient=webhook_url, recipient_kind="channel_system",
                  template="acknowledgement",
                  body=acknowledgement_body(event, ctx.envelope.id, ctx.uow.clock.now()))


def _learnt(event: Event) -> dict:
    """The filterable attributes an event states about its complaint."""
    if isinstance(event, ComplaintReceived):
        return {"branch_code": event.branch_code}
    if isinstance(event, ComplaintClassified):
        return {"business_line": event.business_line, "severity": event.severity}
    if isinstance(event, ComplaintReclassified):
        return {k: v for k, v in {"business_line": event.business_line, "severity": event.severity}.items() if v}
    return {}


async def remember_facts(event: Event, uow: UnitOfWork) -> rules.Facts:
    """Merge what the event says into the complaint's known attributes and return them."""
    learnt = _learnt(event)
    if learnt:
        values = {"complaint_id": event.complaint_id, "updated_at": uow.clock.now(), **learnt}
        statement = _upsert(uow, complaints).values(**values)
        await uow.session.execute(statement.on_conflict_do_update(
            index_elements=[complaints.c.complaint_id], set_={k: statement.excluded[k] for k in values}))
    row = (await uow.session.execute(
        select(complaints).where(complaints.c.complaint_id == event.complaint_id))).first()
    known = {k: getattr(row, k) for k in ("branch_code", "business_line", "severity")} if row else {}
    return rules.Facts(event_type=event.type, **known)


async def fan_out(event: Event, ctx: HandlerContext, facts: rules.Facts) -> None:
    """One notification for every enabled subscription whose filters accept the event."""
    subscriptions = (await ctx.uow.session.execute(select(webhooks).where(webhooks.c.enabled.is_(True)))).mappings()
    body = cloudevent_body(event, ctx.envelope)
    for sub in subscriptions:
        if rules.matches(sub, facts):
            await _record(ctx.uow, complaint_id=event.complaint_id, rule=f"webhook:{sub['id']}",
                          event_id=ctx.envelope.id, channel="webhook", recipient=sub["url"],
                          recipient_kind="subscriber", template=event.type, body=body,
                          subscription_id=sub["id"])


async def claim_due(uow: UnitOfWork, *, lease: timedelta, limit: int = 50) -> list:
    """Take due notifications (not those of disabled subscriptions), leasing them so no other worker does."""
    now = uow.clock.now()
    query = (
        select(notifications, webhooks.c.url.label("webhook_url"), webhooks.c.secret,
               webhooks.c.previous_secret, webhooks.c.previous_secret_expires_at)
        .outerjoin(webhooks, webhooks.c.id == notifications.c.subscription_id)
        .where(notifications.c.status == "pending", notifications.c.next_attempt_at <= now,
               or_(notifications.c.subscription_id.is_(None), webhooks.c.enabled.is_(True)))
        .order_by(notifications.c.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(uow.session.bind):
        query = query.with_for_update(of=notifications, skip_locked=True)
    rows = (await uow.session.execute(query)).all()
    if rows:
        await uow.session.execute(
            update(notifications).where(notifications.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + lease)
        )
    return rows


async def settle(uow: UnitOfWork, notification, result: DeliveryResult, *, policy: RetryPolicy,
                 disable_after: int = 0) -> None:
    """Record an attempt; mark sent, schedule a retry, or give up after the last attempt."""
    now = uow.clock.now()
    number = notification.attempts + 1
    await uow.session.execute(
        insert(attempts).values(notification_id=notification.id, number=number, attempted_at=now,
                                status_code=result.status_code, error=result.error, duration_ms=result.duration_ms)
    )
    await _count_for_subscription(uow, notification.subscription_id, result.ok, disable_after)
    if result.ok:
        await _mark(uow, notification, number, status="sent", sent_at=now, next_attempt_at=None, last_error=None)
        await uow.publish(NotificationSent(**_event_fields(notification, number), sent_at=now))
        return
    final = rules.attempts_exhausted(number, notification.retry_base, policy.max_attempts)
    delay = max(policy.delay_after(number - notification.retry_base), result.retry_after_s or 0)
    await _mark(uow, notification, number, status="failed" if final else "pending",
                next_attempt_at=None if final else now + timedelta(seconds=delay), last_error=result.error)
    await uow.publish(NotificationFailed(**_event_fields(notification, number), error=result.error or "unknown",
                                         final=final, failed_at=now))


async def _count_for_subscription(uow: UnitOfWork, subscription_id: str | None, ok: bool, disable_after: int) -> None:
    """Reset a subscription's failure streak on success; disable it when the streak is too long."""
    if subscription_id is None:
        return
    column = webhooks.c.consecutive_failures
    statement = update(webhooks).where(webhooks.c.id == subscription_id).returning(column)
    streak = (await uow.session.execute(statement.values(consecutive_failures=0 if ok else column + 1))).scalar()
    if streak is not None and not ok and rules.should_disable(streak, disable_after):
        reason = f"disabled after {streak} consecutive failed attempts"
        await uow.session.execute(update(webhooks).where(webhooks.c.id == subscription_id, webhooks.c.enabled.is_(True))
                                  .values(enabled=False, disabled_reason=reason, updated_at=uow.clock.now()))
        # The alert: operators watch error-level logs; the subscription stays visible in GET /v1/webhooks.
        log.error("webhook subscription disabled", subscription_id=subscription_id, reason=reason)


async def _mark(uow: UnitOfWork, notification, number: int, **values) -> None:
    await uow.session.execute(
        update(notifications).where(notifications.c.id == notification.id).values(attempts=number, **values)
    )


def _event_fields(notification, number: int) -> dict:
    return dict(complaint_id=notification.complaint_id, notification_id=notification.id,
                channel=notification.channel, template=notification.template,
                recipient_kind=notification.recipient_kind, attempts=number)


async def list_notifications(uow: UnitOfWork, *, complaint_id: str | None, status: str | None, limit: int,
                             recipient_kind: str | None = None, subscription_id: str | None = None) -> list:
    """Notifications, newest first, optionally filtered."""
    query = select(notifications).order_by(notifications.c.created_at.desc()).limit(limit)
    for column, value in ((notifications.c.complaint_id, complaint_id), (notifications.c.status, status),
                          (notifications.c.recipient_kind, recipient_kind),
                          (notifications.c.subscription_id, subscription_id)):
        if value:
            query = query.where(column == value)
    return (await uow.session.execute(query)).all()


async def get_notification(uow: UnitOfWork, notification_id: str):
    """One notification, or None."""
    return (await uow.session.execute(select(notifications).where(notifications.c.id == notification_id))).first()


async def list_attempts(uow: UnitOfWork, notification_id: str) -> list:
    """Every delivery attempt of a notification, oldest first."""
    query = select(attempts).where(attempts.c.notification_id == notification_id).order_by(attempts.c.number)
    return (await uow.session.execute(query)).all()


async def redeliver(uow: UnitOfWork, notification_id: str) -> bool:
    """Queue a notification again now, with a fresh retry budget; False when it does not exist."""
    result = await uow.session.execute(
        update(notifications).where(notifications.c.id == notification_id)
        .values(status="pending", next_attempt_at=uow.clock.now(), retry_base=notifications.c.attempts)
    )
    return result.rowcount == 1
