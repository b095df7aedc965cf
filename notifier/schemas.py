"""HTTP models of the notifier."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationRead(BaseModel):
    """One notification and where its delivery stands."""

    notification_id: str
    complaint_id: str
    rule: str
    channel: str
    recipient_kind: str
    template: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
