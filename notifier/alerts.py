"""Operational alerts: a disabled webhook subscription is counted for Prometheus and routed to people."""

from __future__ import annotations

import uuid
from typing import ClassVar

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select

from notifier import people
from notifier.models import webhooks
from notifier.people import Routing
from shared.events import Event
from shared.uow import UnitOfWork

WEBHOOKS_DISABLED = Gauge("kesu_notifier_webhooks_disabled", "Webhook subscriptions currently disabled")
WEBHOOK_DISABLINGS = Counter("kesu_notifier_webhook_disablings_total",
                             "Webhook subscriptions disabled after persistent failure")


class WebhookSubscriptionDisabled(Event):
    """Internal to the notifier (never published): a subscription failed so often it was disabled."""

    type: ClassVar[str] = "kesu.notifier.webhook_subscription_disabled"
    stream: ClassVar[str] = "internal"

    subscription_id: str
    url: str
    reason: str


async def refresh_gauge(uow: UnitOfWork) -> int:
    """Set the disabled-subscriptions gauge from the table; returns the count."""
    count = (await uow.session.execute(
        select(func.count()).select_from(webhooks).where(webhooks.c.enabled.is_(False)))).scalar_one()
    WEBHOOKS_DISABLED.set(count)
    return count


def on_disabled(routing: Routing):
    """The delivery worker's callback: count the disabling and notify the people the rules name."""

    async def alert(uow: UnitOfWork, subscription: dict, notification, reason: str) -> None:
        WEBHOOK_DISABLINGS.inc()
        await refresh_gauge(uow)
        event = WebhookSubscriptionDisabled(complaint_id=notification.complaint_id, subscription_id=subscription["id"],
                                            url=subscription["url"], reason=reason)
        # One alert per disabling: a subscription re-enabled and disabled again alerts again.
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{subscription['id']}/{subscription['updated_at'].isoformat()}"))
        await people.record_for_people(uow, event, event_id, {}, routing)

    return alert
