"""HTTP request and response models of the intake API (not the event models)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Channel(StrEnum):
    """Where a complaint came in."""

    mobile_app = "mobile_app"
    call_center = "call_center"
    branch_counter = "branch_counter"
    letter = "letter"
    web = "web"
    wechat = "wechat"
    email = "email"
    regulator_transfer = "regulator_transfer"
    hotline_12345 = "hotline_12345"
    social_media = "social_media"


class ComplainantIn(BaseModel):
    """Who complains (this first version keeps only the bank's customer id, as a pseudonym)."""

    model_config = ConfigDict(extra="forbid")
    customer_id: str | None = Field(None, max_length=64)


class ComplaintCreate(BaseModel):
    """A complaint as a channel system submits it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "mobile_app",
                    "external_ref": "APP-20261123-0001",
                    "subject": "信用卡年费争议",
                    "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。",
                },
                {
                    "channel": "web",
                    "content": "I was charged an annual fee on my credit card that I was told was waived.",
                    "language": "en",
                },
            ]
        },
    )

    channel: Channel
    external_ref: str | None = Field(None, max_length=200)
    received_at: AwareDatetime | None = None
    complainant: ComplainantIn | None = None
    subject: str | None = Field(None, max_length=500)
    content: str = Field(max_length=20_000)
    product_hint: str | None = Field(None, max_length=200)
    branch_code: str | None = Field(None, max_length=64)
    region_code: str | None = Field(None, pattern=r"^\d{6}$")
    language: Literal["zh", "en"] | None = None

    @field_validator("content")
    @classmethod
    def content_not_blank(cls, value: str) -> str:
        """Content is required and counted after trimming."""
        value = value.strip()
        if not value:
            raise ValueError("content must not be empty")
        return value


class ComplaintAccepted(BaseModel):
    """The answer to an accepted complaint."""

    complaint_id: str
    reference: str
    status: str
    received_at: datetime


class ClassificationSummary(BaseModel):
    """The classifier's main codes."""

    business_line: str
    cause: str
    severity: str
    complexity: str
    flags: list[str]
    needs_review: bool


class SlaSummary(BaseModel):
    """The decision deadline."""

    due_at: datetime
    due_date: date
    state: str


class ComplaintRead(BaseModel):
    """A complaint as its channel may see it: no raw personal data."""

    complaint_id: str
    reference: str
    channel: Channel
    external_ref: str | None
    status: str
    received_at: datetime
    language: str
    classification: ClassificationSummary | None
    sla: SlaSummary | None
