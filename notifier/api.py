"""Notifier's HTTP routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from notifier import handlers, subscriptions
from notifier.schemas import (AttemptRead, NotificationRead, SecretRotation, WebhookCreate, WebhookRead,
                              WebhookUpdate, WebhookWithSecret)
from shared.service import Service

router = APIRouter(prefix="/v1", tags=["notifications"])


def _service(request: Request) -> Service:
    return request.app.state.notifier


NotifierService = Annotated[Service, Depends(_service)]


def _notification(row) -> NotificationRead:
    fields = [name for name in NotificationRead.model_fields if name != "notification_id"]
    return NotificationRead(notification_id=row.id, **{f: getattr(row, f) for f in fields})


def _webhook(row: dict | None, model: type[WebhookRead] = WebhookRead) -> WebhookRead:
    if row is None:
        raise HTTPException(404, "webhook subscription not found")
    return model(webhook_id=row["id"], **{k: v for k, v in row.items() if k != "id"})


@router.get("/notifications", response_model=list[NotificationRead])
async def get_notifications(
    service: NotifierService,
    complaint_id: str | None = None,
    status: Literal["pending", "sent", "failed", "cancelled"] | None = None,
    recipient_kind: str | None = None,
    subscription_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationRead]:
    """Notifications, newest first."""
    async with service.unit_of_work() as uow:
        rows = await handlers.list_notifications(uow, complaint_id=complaint_id, status=status, limit=limit,
                                                 recipient_kind=recipient_kind, subscription_id=subscription_id)
    return [_notification(r) for r in rows]


@router.get("/notifications/{notification_id}/attempts", response_model=list[AttemptRead])
async def get_attempts(service: NotifierService, notification_id: str) -> list[AttemptRead]:
    """Every delivery attempt of one notification, oldest first."""
    async with service.unit_of_work() as uow:
        if await handlers.get_notification(uow, notification_id) is None:
            raise HTTPException(404, "notification not found")
        rows = await handlers.list_attempts(uow, notification_id)
    return [AttemptRead(**{f: getattr(r, f) for f in AttemptRead.model_fields}) for r in rows]


@router.post("/notifications/{notification_id}:redeliver", status_code=202, response_model=NotificationRead)
async def redeliver(service: NotifierService, notification_id: str) -> NotificationRead:
    """Queue a notification for delivery again now (the receiver dedupes by Idempotency-Key)."""
    async with service.unit_of_work() as uow:
        if not await handlers.redeliver(uow, notification_id):
            raise HTTPException(404, "notification not found")
        row = await handlers.get_notification(uow, notification_id)
    return _notification(row)


@router.post("/webhooks", status_code=201, response_model=WebhookWithSecret)
async def create_webhook(service: NotifierService, body: WebhookCreate) -> WebhookRead:
    """Subscribe a URL; the response is the only time the secret is shown."""
    async with service.unit_of_work() as uow:
        row = await subscriptions.create(uow, **{**body.model_dump(), "url": str(body.url)})
    return _webhook(row, WebhookWithSecret)


@router.get("/webhooks", response_model=list[WebhookRead])
async def list_webhooks(service: NotifierService) -> list[WebhookRead]:
    """Every subscription, without secrets."""
    async with service.unit_of_work() as uow:
        return [_webhook(r) for r in await subscriptions.list_all(uow)]


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
async def get_webhook(service: NotifierService, webhook_id: str) -> WebhookRead:
    """One subscription, without its secret."""
    async with service.unit_of_work() as uow:
        return _webhook(await subscriptions.get(uow, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
async def update_webhook(service: NotifierService, webhook_id: str, body: WebhookUpdate) -> WebhookRead:
    """Change a subscription's URL, filters or enabled flag."""
    # An explicit null means "leave as is", except for the description, which may be cleared.
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "description"}
    if "url" in changes:
        changes["url"] = str(changes["url"])
    async with service.unit_of_work() as uow:
        return _webhook(await subscriptions.change(uow, webhook_id, **changes))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(service: NotifierService, webhook_id: str) -> Response:
    """Unsubscribe; undelivered notifications are cancelled."""
    async with service.unit_of_work() as uow:
        if not await subscriptions.remove(uow, webhook_id):
            raise HTTPException(404, "webhook subscription not found")
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}:rotate-secret", response_model=WebhookWithSecret)
async def rotate_secret(service: NotifierService, webhook_id: str, body: SecretRotation | None = None) -> WebhookRead:
    """Issue a new secret, shown once; the old one still signs until the grace period ends."""
    grace = timedelta(seconds=(body or SecretRotation()).grace_s)
    async with service.unit_of_work() as uow:
        return _webhook(await subscriptions.rotate_secret(uow, webhook_id, grace=grace), WebhookWithSecret)
