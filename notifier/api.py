"""Notifier's HTTP routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from notifier import handlers
from notifier.schemas import NotificationRead
from shared.service import Service

router = APIRouter(prefix="/v1", tags=["notifications"])


def _service(request: Request) -> Service:
    return request.app.state.notifier


NotifierService = Annotated[Service, Depends(_service)]


@router.get("/notifications", response_model=list[NotificationRead])
async def get_notifications(
    service: NotifierService,
    complaint_id: str | None = None,
    status: Literal["pending", "sent", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationRead]:
    """Notifications, newest first."""
    async with service.unit_of_work() as uow:
        rows = await handlers.list_notifications(uow, complaint_id=complaint_id, status=status, limit=limit)
    fields = [name for name in NotificationRead.model_fields if name != "notification_id"]
    return [NotificationRead(notification_id=r.id, **{f: getattr(r, f) for f in fields}) for r in rows]
