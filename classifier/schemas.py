"""HTTP models of the classifier's dry-run API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.text import NulFree


class ClassifyRequest(NulFree):
    """A text to classify without storing anything."""

    text: str = Field(min_length=1, max_length=100_000, examples=["信用卡年费被乱收，要求退还"])
    language: str | None = Field(None, examples=["zh"], description="zh or en; detected when absent")
    channel: str | None = Field(None, examples=["social_media"], description="intake channel code")
    group_size: int = Field(1, ge=1, le=100_000)


class ClassifyResult(BaseModel):
    """The codes the classifier would assign, and why."""

    business_line: str
    cause: str
    flags: list[str]
    emotion: str
    severity: str
    complexity: str
    confidence: dict[str, float]
    explanation: list[str]
    needs_review: bool
    language: str
    model_version: str
    taxonomy_version: str
