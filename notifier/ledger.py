"""The notifications ledger: record once per (rule, event); list, inspect, redeliver; in-app read state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from notifier.models import attempts, notifications
from shared.db import upsert_insert
from shared.uow import UnitOfWork


async def record(uow: UnitOfWork, *, next_attempt_at: datetime | None = None, **values) -> bool:
    """Insert a notification once per (rule, event): a redelivered event adds nothing (False)."""
    now = uow.clock.now()
    statement = upsert_insert(uow.session.bind, notifications).values(
        id=str(uuid.uuid4()), status="pending", attempts=0, retry_base=0,
        next_attempt_at=next_attempt_at or now, created_at=now, **values,
    ).on_conflict_do_nothing()
    return (await uow.session.execute(statement)).rowcount == 1


async def list_notifications(uow: UnitOfWork, *, limit: int, offset: int = 0, **filters: str | None) -> list:
    """Notifications, newest first, filtered by any of: complaint_id, status, channel, recipient,
    recipient_kind, subscription_id."""
    query = (select(notifications).order_by(notifications.c.created_at.desc(), notifications.c.id)
             .limit(limit).offset(offset))
    for name, value in filters.items():
        if value:
            query = query.where(notifications.c[name] == value)
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


def _in_app(username: str):
    # Delivered in-app notifications are those the worker marked sent (made visible).
    return (notifications.c.channel == "in_app", notifications.c.recipient == username,
            notifications.c.status == "sent")


async def in_app(uow: UnitOfWork, username: str, *, unread_only: bool, limit: int, offset: int) -> list:
    """A user's in-app notifications, newest first."""
    query = select(notifications).where(*_in_app(username))
    if unread_only:
        query = query.where(notifications.c.read_at.is_(None))
    query = query.order_by(notifications.c.created_at.desc(), notifications.c.id).limit(limit).offset(offset)
    return (await uow.session.execute(query)).all()


async def unread_counts(uow: UnitOfWork, usernames: list[str] | None = None) -> dict[str, int]:
    """Unread in-app notifications per user (every user with some, or the ones asked for)."""
    query = (select(notifications.c.recipient, func.count())
             .where(notifications.c.channel == "in_app", notifications.c.status == "sent",
                    notifications.c.read_at.is_(None))
             .group_by(notifications.c.recipient))
    if usernames:
        query = query.where(notifications.c.recipient.in_(usernames))
    counts = {name: count for name, count in (await uow.session.execute(query)).all()}
    return {name: counts.get(name, 0) for name in usernames} if usernames else counts


async def mark_read(uow: UnitOfWork, notification_id: str) -> bool:
    """Mark an in-app notification read (idempotent: the first read time stays); False if none."""
    row = await get_notification(uow, notification_id)
    if row is None or row.channel != "in_app":
        return False
    if row.read_at is None:
        await uow.session.execute(update(notifications).where(notifications.c.id == notification_id)
                                  .values(read_at=uow.clock.now()))
    return True


async def mark_all_read(uow: UnitOfWork, username: str) -> int:
    """Mark every unread in-app notification of a user read; returns how many."""
    unread = update(notifications).where(*_in_app(username), notifications.c.read_at.is_(None))
    result = await uow.session.execute(unread.values(read_at=uow.clock.now()))
    return result.rowcount
