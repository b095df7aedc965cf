"""HTTP models of the notifier."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.text import NulFree


class NotificationRead(BaseModel):
    """One notification and where its delivery stands."""

    notification_id: str
    complaint_id: str
    rule: str
    channel: str
    recipient_kind: str
    subscription_id: str | None = None
    # Staff: the username (in-app) or address; the complainant's address is masked (138****5678).
    recipient: str
    template: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None = None


class NotificationContent(NotificationRead):
    """A people notification with what was rendered (and for SMS, how it was fitted)."""

    content: dict


class InAppItem(BaseModel):
    """A staff member's in-app notification."""

    notification_id: str
    complaint_id: str
    title: str
    text: str
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    """Unread in-app notifications of one user."""

    username: str
    unread: int


class DirectoryEntry(NulFree):
    """A staff member the notifier can reach (mirrors the cases service's users)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern=r"^[a-z][a-z_]{1,31}$", examples=["complaint_officer"],
                      description="team_lead, branch_head, complaint_officer, duty_officer are routable; "
                                  "any other is a plain user")
    org_code: str = Field(min_length=1, max_length=64, examples=["HO", "B001"])
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{5,30}$")
    language: Literal["zh", "en"] = "zh"
    on_duty: bool = False


class DirectoryRead(DirectoryEntry):
    """A directory entry as stored."""

    username: str
    updated_at: datetime


class AttemptRead(BaseModel):
    """One delivery attempt as recorded."""

    number: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookFilters(NulFree):
    """Which events a subscription receives; an empty list accepts everything."""

    event_types: list[str] = Field(default_factory=list, examples=[["kesu.sla.breached.v1"]])
    business_lines: list[str] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)


class WebhookCreate(WebhookFilters):
    """A new webhook subscription."""

    url: AnyHttpUrl
    description: str | None = Field(default=None, max_length=200)


class WebhookUpdate(NulFree):
    """A partial change to a subscription; ``enabled: true`` revives a disabled one."""

    url: AnyHttpUrl | None = None
    description: str | None = Field(default=None, max_length=200)
    event_types: list[str] | None = None
    business_lines: list[str] | None = None
    branches: list[str] | None = None
    severities: list[str] | None = None
    enabled: bool | None = None


class WebhookRead(WebhookFilters):
    """A subscription without its secret."""

    webhook_id: str
    url: str
    description: str | None
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    """A subscription with its signing secret: returned once, on creation or rotation."""

    secret: str


class SecretRotation(NulFree):
    """How long the old secret keeps signing next to the new one."""

    grace_s: int = Field(default=86_400, ge=0, le=30 * 86_400)
