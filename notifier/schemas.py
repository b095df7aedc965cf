"""HTTP models of the notifier."""

from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, Field


class NotificationRead(BaseModel):
    """One notification and where its delivery stands."""

    notification_id: str
    complaint_id: str
    rule: str
    channel: str
    recipient_kind: str
    subscription_id: str | None = None
    template: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class AttemptRead(BaseModel):
    """One delivery attempt as recorded."""

    number: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class WebhookFilters(BaseModel):
    """Which events a subscription receives; an empty list accepts everything."""

    event_types: list[str] = Field(default_factory=list, examples=[["kesu.sla.breached.v1"]])
    business_lines: list[str] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=list)


class WebhookCreate(WebhookFilters):
    """A new webhook subscription."""

    url: AnyHttpUrl
    description: str | None = Field(default=None, max_length=200)


class WebhookUpdate(BaseModel):
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


class SecretRotation(BaseModel):
    """How long the old secret keeps signing next to the new one."""

    grace_s: int = Field(default=86_400, ge=0, le=30 * 86_400)
