"""Notifier's HTTP routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from notifier import alerts, contacts, directory, ledger, subscriptions
from notifier.access import AnyStaff, DirectoryAdmin, LogManager, LogReader, WebhookAdmin, own_or, usernames_for
from notifier.channels import Channels
from notifier.delivery import Waker
from notifier.people import COMPLAINANT, Routing
from notifier.schemas import (AttemptRead, DirectoryEntry, DirectoryRead, InAppItem, NotificationContent,
                              NotificationRead, SecretRotation, UnreadCount, WebhookCreate, WebhookRead, WebhookUpdate,
                              WebhookWithSecret)
from shared.service import Service
from shared.staff import StaffGate

router = APIRouter(prefix="/v1", tags=["notifications"])


@dataclass
class NotifierContext:
    """What the routes and tests need from the composition root."""

    service: Service
    routing: Routing
    channels: Channels
    waker: Waker
    staff: StaffGate


def _service(request: Request) -> Service:
    return request.app.state.notifier.service


NotifierService = Annotated[Service, Depends(_service)]


def _notification(row, model: type[NotificationRead] = NotificationRead, **extra) -> NotificationRead:
    fields = [name for name in model.model_fields if name not in ("notification_id", "recipient", *extra)]
    recipient = contacts.mask(row.recipient) if row.recipient_kind == COMPLAINANT and row.recipient != COMPLAINANT \
        else row.recipient
    return model(notification_id=row.id, recipient=recipient, **{f: getattr(row, f) for f in fields}, **extra)


def _webhook(row: dict | None, model: type[WebhookRead] = WebhookRead) -> WebhookRead:
    if row is None:
        raise HTTPException(404, "webhook subscription not found")
    return model(webhook_id=row["id"], **{k: v for k, v in row.items() if k != "id"})


def _in_app(row) -> InAppItem:
    return InAppItem(notification_id=row.id, complaint_id=row.complaint_id, title=row.body["subject"],
                     text=row.body["text"], created_at=row.created_at, read_at=row.read_at)


Status = Literal["pending", "sent", "failed", "cancelled"]
Channel = Literal["webhook", "email", "sms", "in_app"]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/notifications", response_model=list[NotificationRead])
async def get_notifications(
    service: NotifierService, _principal: LogReader, complaint_id: str | None = None, status: Status | None = None,
    channel: Channel | None = None, recipient: str | None = None, recipient_kind: str | None = None,
    subscription_id: str | None = None, limit: Limit = 100, offset: Offset = 0,
) -> list[NotificationRead]:
    """Notifications, newest first; page with ``offset``."""
    async with service.unit_of_work() as uow:
        rows = await ledger.list_notifications(uow, complaint_id=complaint_id, status=status, channel=channel,
                                               recipient=recipient, recipient_kind=recipient_kind,
                                               subscription_id=subscription_id, limit=limit, offset=offset)
    return [_notification(r) for r in rows]


@router.get("/notifications/unread-counts", response_model=list[UnreadCount])
async def get_unread_counts(service: NotifierService, principal: AnyStaff,
                            username: Annotated[list[str] | None, Query()] = None) -> list[UnreadCount]:
    """Unread in-app notifications per user: those asked for (``username`` repeated), else every user with some.

    Without notifications:read a caller counts only their own.
    """
    async with service.unit_of_work() as uow:
        counts = await ledger.unread_counts(uow, usernames_for(principal, username))
    return [UnreadCount(username=name, unread=count) for name, count in sorted(counts.items())]


@router.get("/notifications/in-app/{username}", response_model=list[InAppItem])
async def get_in_app(service: NotifierService, principal: AnyStaff, username: str, unread_only: bool = False,
                     limit: Limit = 50, offset: Offset = 0) -> list[InAppItem]:
    """A staff member's in-app notifications, newest first (your own, or anyone's with notifications:read)."""
    own_or(principal, username, "notifications:read")
    async with service.unit_of_work() as uow:
        rows = await ledger.in_app(uow, username, unread_only=unread_only, limit=limit, offset=offset)
    return [_in_app(r) for r in rows]


@router.post("/notifications/in-app/{username}:mark-all-read")
async def mark_all_read(service: NotifierService, principal: AnyStaff, username: str) -> dict:
    """Mark every unread in-app notification of your own read."""
    own_or(principal, username, None)
    async with service.unit_of_work() as uow:
        return {"username": username, "marked": await ledger.mark_all_read(uow, username)}


@router.get("/notifications/directory", response_model=list[DirectoryRead])
async def list_directory(service: NotifierService, _principal: DirectoryAdmin, role: str | None = None,
                         org_code: str | None = None) -> list[DirectoryRead]:
    """The staff directory, optionally one role or branch."""
    async with service.unit_of_work() as uow:
        return [DirectoryRead(**row) for row in await directory.list_all(uow, role=role, org_code=org_code)]


@router.put("/notifications/directory/{username}", response_model=DirectoryRead)
async def put_directory_entry(service: NotifierService, _principal: DirectoryAdmin,
                              username: Annotated[str, Path(max_length=100)],
                              body: DirectoryEntry) -> DirectoryRead:
    """Create or replace a staff member's entry."""
    async with service.unit_of_work() as uow:
        return DirectoryRead(**await directory.put(uow, username, body))


@router.get("/notifications/directory/{username}", response_model=DirectoryRead)
async def get_directory_entry(service: NotifierService, principal: AnyStaff, username: str) -> DirectoryRead:
    """One staff member's entry (your own, or anyone's with directory:manage)."""
    own_or(principal, username, "directory:manage")
    async with service.unit_of_work() as uow:
        row = await directory.get(uow, username)
    if row is None:
        raise HTTPException(404, "no directory entry for this username")
    return DirectoryRead(**row)


@router.delete("/notifications/directory/{username}", status_code=204)
async def delete_directory_entry(service: NotifierService, _principal: DirectoryAdmin, username: str) -> Response:
    """Remove a staff member (notifications already recorded stay)."""
    async with service.unit_of_work() as uow:
        if not await directory.remove(uow, username):
            raise HTTPException(404, "no directory entry for this username")
    return Response(status_code=204)


@router.get("/notifications/{notification_id}", response_model=NotificationContent)
async def get_notification(service: NotifierService, principal: AnyStaff,
                           notification_id: str) -> NotificationContent:
    """One notification with its rendered content (your own in-app ones, or any with notifications:read)."""
    async with service.unit_of_work() as uow:
        row = await ledger.get_notification(uow, notification_id)
    if row is None:
        raise HTTPException(404, "notification not found")
    own_or(principal, row.recipient if row.channel == "in_app" else "", "notifications:read")
    return _notification(row, NotificationContent, content=row.body)


@router.get("/notifications/{notification_id}/attempts", response_model=list[AttemptRead])
async def get_attempts(service: NotifierService, _principal: LogReader, notification_id: str) -> list[AttemptRead]:
    """Every delivery attempt of one notification, oldest first."""
    async with service.unit_of_work() as uow:
        if await ledger.get_notification(uow, notification_id) is None:
            raise HTTPException(404, "notification not found")
        rows = await ledger.list_attempts(uow, notification_id)
    return [AttemptRead(**{f: getattr(r, f) for f in AttemptRead.model_fields}) for r in rows]


@router.post("/notifications/{notification_id}:redeliver", status_code=202, response_model=NotificationRead)
async def redeliver(service: NotifierService, _principal: LogManager, notification_id: str) -> NotificationRead:
    """Queue a notification for delivery again now, on any channel (webhook receivers dedupe by Idempotency-Key)."""
    async with service.unit_of_work() as uow:
        if not await ledger.redeliver(uow, notification_id):
            raise HTTPException(404, "notification not found")
        row = await ledger.get_notification(uow, notification_id)
    return _notification(row)


@router.post("/notifications/{notification_id}:mark-read", response_model=InAppItem)
async def mark_read(service: NotifierService, principal: AnyStaff, notification_id: str) -> InAppItem:
    """Mark one of your in-app notifications read (the first read time is kept)."""
    async with service.unit_of_work() as uow:
        row = await ledger.get_notification(uow, notification_id)
        if row is None or row.channel != "in_app" or row.recipient != principal.username:
            # Someone else's item answers like a missing one: ids of other inboxes are not confirmed.
            raise HTTPException(404, "no in-app notification of yours with this id")
        await ledger.mark_read(uow, notification_id)
        row = await ledger.get_notification(uow, notification_id)
    return _in_app(row)


@router.post("/webhooks", status_code=201, response_model=WebhookWithSecret)
async def create_webhook(service: NotifierService, _principal: WebhookAdmin, body: WebhookCreate) -> WebhookRead:
    """Subscribe a URL; the response is the only time the secret is shown."""
    async with service.unit_of_work() as uow:
        row = await subscriptions.create(uow, **{**body.model_dump(), "url": str(body.url)})
    return _webhook(row, WebhookWithSecret)


@router.get("/webhooks", response_model=list[WebhookRead])
async def list_webhooks(service: NotifierService, _principal: WebhookAdmin) -> list[WebhookRead]:
    """Every subscription, without secrets."""
    async with service.unit_of_work() as uow:
        return [_webhook(r) for r in await subscriptions.list_all(uow)]


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
async def get_webhook(service: NotifierService, _principal: WebhookAdmin, webhook_id: str) -> WebhookRead:
    """One subscription, without its secret."""
    async with service.unit_of_work() as uow:
        return _webhook(await subscriptions.get(uow, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
async def update_webhook(service: NotifierService, _principal: WebhookAdmin, webhook_id: str,
                         body: WebhookUpdate) -> WebhookRead:
    """Change a subscription's URL, filters or enabled flag."""
    # An explicit null means "leave as is", except for the description, which may be cleared.
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "description"}
    if "url" in changes:
        changes["url"] = str(changes["url"])
    async with service.unit_of_work() as uow:
        changed = await subscriptions.change(uow, webhook_id, **changes)
        await alerts.refresh_gauge(uow)
    return _webhook(changed)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(service: NotifierService, _principal: WebhookAdmin, webhook_id: str) -> Response:
    """Unsubscribe; undelivered notifications are cancelled."""
    async with service.unit_of_work() as uow:
        if not await subscriptions.remove(uow, webhook_id):
            raise HTTPException(404, "webhook subscription not found")
        await alerts.refresh_gauge(uow)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}:rotate-secret", response_model=WebhookWithSecret)
async def rotate_secret(service: NotifierService, _principal: WebhookAdmin, webhook_id: str,
                        body: SecretRotation | None = None) -> WebhookRead:
    """Issue a new secret, shown once; the old one still signs until the grace period ends."""
    grace = timedelta(seconds=(body or SecretRotation()).grace_s)
    async with service.unit_of_work() as uow:
        return _webhook(await subscriptions.rotate_secret(uow, webhook_id, grace=grace), WebhookWithSecret)
