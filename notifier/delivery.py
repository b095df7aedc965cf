"""Delivery bookkeeping: claim due notifications under a lease; settle each attempt in the ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from sqlalchemy import insert, or_, select, update

from notifier import rules
from notifier.models import attempts, notifications, webhooks
from notifier.webhook import DeliveryResult
from shared.db import is_postgres
from shared.events import NotificationFailed, NotificationSent
from shared.retry import RetryPolicy
from shared.uow import UnitOfWork

log = structlog.get_logger()
# Called in the settling transaction when a subscription is disabled: (uow, subscription, notification, reason).
OnDisabled = Callable[[UnitOfWork, dict, object, str], Awaitable[None]]


class Waker:
    """Lets an urgent notification start the delivery worker at once instead of after its poll interval."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Ask the worker to look for due notifications now."""
        self._event.set()

    async def wait(self, timeout_s: float) -> bool:
        """Sleep until woken (True) or the timeout passes (False)."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True


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
                 disable_after: int = 0, on_disabled: OnDisabled | None = None) -> None:
    """Record an attempt; mark sent, schedule a retry, or give up after the last attempt (or a permanent error)."""
    if result.defer_until is not None:
        await uow.session.execute(update(notifications).where(notifications.c.id == notification.id)
                                  .values(next_attempt_at=result.defer_until))
        return
    now = uow.clock.now()
    number = notification.attempts + 1
    await uow.session.execute(
        insert(attempts).values(notification_id=notification.id, number=number, attempted_at=now,
                                status_code=result.status_code, error=result.error, duration_ms=result.duration_ms)
    )
    await _count_for_subscription(uow, notification, result.ok, disable_after, on_disabled)
    address = {"recipient": result.recipient} if result.recipient else {}
    if result.ok:
        await _mark(uow, notification, number, status="sent", sent_at=now, next_attempt_at=None, last_error=None,
                    **address)
        await uow.publish(NotificationSent(**_event_fields(notification, number), sent_at=now))
        return
    final = result.permanent or rules.attempts_exhausted(number, notification.retry_base, policy.max_attempts)
    delay = max(policy.delay_after(number - notification.retry_base), result.retry_after_s or 0)
    await _mark(uow, notification, number, status="failed" if final else "pending",
                next_attempt_at=None if final else now + timedelta(seconds=delay), last_error=result.error, **address)
    await uow.publish(NotificationFailed(**_event_fields(notification, number), error=result.error or "unknown",
                                         final=final, failed_at=now))


async def _count_for_subscription(uow: UnitOfWork, notification, ok: bool, disable_after: int,
                                  on_disabled: OnDisabled | None) -> None:
    """Reset a subscription's failure streak on success; disable it when the streak is too long."""
    subscription_id = notification.subscription_id
    if subscription_id is None:
        return
    column = webhooks.c.consecutive_failures
    statement = update(webhooks).where(webhooks.c.id == subscription_id).returning(column)
    streak = (await uow.session.execute(statement.values(consecutive_failures=0 if ok else column + 1))).scalar()
    if streak is None or ok or not rules.should_disable(streak, disable_after):
        return
    reason = f"disabled after {streak} consecutive failed attempts"
    disabled = await uow.session.execute(
        update(webhooks).where(webhooks.c.id == subscription_id, webhooks.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=uow.clock.now()).returning(webhooks))
    subscription = disabled.mappings().first()
    if subscription is None:
        return  # already disabled by a concurrent settle
    log.error("webhook subscription disabled", subscription_id=subscription_id, reason=reason)
    if on_disabled:
        await on_disabled(uow, dict(subscription), notification, reason)


async def _mark(uow: UnitOfWork, notification, number: int, **values) -> None:
    await uow.session.execute(
        update(notifications).where(notifications.c.id == notification.id).values(attempts=number, **values)
    )


def _event_fields(notification, number: int) -> dict:
    return dict(complaint_id=notification.complaint_id, notification_id=notification.id,
                channel=notification.channel, template=notification.template,
                recipient_kind=notification.recipient_kind, attempts=number)
