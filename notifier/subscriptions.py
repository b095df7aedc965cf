"""Webhook subscription use cases: create, read, update, delete, rotate the secret."""

from __future__ import annotations

import secrets as random_secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from notifier.models import notifications, webhooks
from shared.uow import UnitOfWork

FILTERS = ("event_types", "business_lines", "branches", "severities")


def new_secret() -> str:
    """A fresh signing secret (256 bits, URL-safe)."""
    return "whsec_" + random_secrets.token_urlsafe(32)


async def create(uow: UnitOfWork, *, url: str, description: str | None, **filters: list[str]) -> dict:
    """Store a subscription; the returned row holds the only copy of the secret the caller sees."""
    now = uow.clock.now()
    row = {"id": str(uuid.uuid4()), "url": url, "description": description, "secret": new_secret(),
           "previous_secret": None, "previous_secret_expires_at": None, "enabled": True,
           "consecutive_failures": 0, "disabled_reason": None, "created_at": now, "updated_at": now,
           **{name: list(filters.get(name) or []) for name in FILTERS}}
    await uow.session.execute(insert(webhooks).values(**row))
    return row


async def get(uow: UnitOfWork, subscription_id: str) -> dict | None:
    """One subscription, or None."""
    row = (await uow.session.execute(select(webhooks).where(webhooks.c.id == subscription_id))).mappings().first()
    return dict(row) if row else None


async def list_all(uow: UnitOfWork) -> list[dict]:
    """Every subscription, oldest first."""
    rows = (await uow.session.execute(select(webhooks).order_by(webhooks.c.created_at))).mappings()
    return [dict(r) for r in rows]


async def change(uow: UnitOfWork, subscription_id: str, **changes) -> dict | None:
    """Apply a partial update; re-enabling clears the failure streak so delivery resumes."""
    if changes.get("enabled") is True:
        changes |= {"consecutive_failures": 0, "disabled_reason": None}
    if changes:
        await uow.session.execute(update(webhooks).where(webhooks.c.id == subscription_id)
                                  .values(updated_at=uow.clock.now(), **changes))
    return await get(uow, subscription_id)


async def remove(uow: UnitOfWork, subscription_id: str) -> bool:
    """Delete a subscription and cancel its undelivered notifications (attempts stay on record)."""
    await uow.session.execute(
        update(notifications).where(notifications.c.subscription_id == subscription_id,
                                    notifications.c.status == "pending")
        .values(status="cancelled", next_attempt_at=None, last_error="subscription deleted"))
    result = await uow.session.execute(delete(webhooks).where(webhooks.c.id == subscription_id))
    return result.rowcount == 1


async def rotate_secret(uow: UnitOfWork, subscription_id: str, *, grace: timedelta) -> dict | None:
    """Issue a new secret; the old one keeps signing alongside it until the grace period ends."""
    current = await get(uow, subscription_id)
    if current is None:
        return None
    now = uow.clock.now()
    values = {"secret": new_secret(), "previous_secret": current["secret"],
              "previous_secret_expires_at": now + grace, "updated_at": now}
    await uow.session.execute(update(webhooks).where(webhooks.c.id == subscription_id).values(**values))
    return current | values
