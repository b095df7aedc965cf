"""HTTP models of the cases service (requests and responses, not the event models)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.cases.transitions import Status
from shared.text import NulFree

Outcome = Literal["upheld", "partially_upheld", "rejected"]
AMOUNT = r"^\d{1,16}(\.\d{1,2})?$"


class TransitionRequest(NulFree):
    """Move a case to another state."""

    to: Status
    reason: str | None = Field(default=None, max_length=2000)


class AssignRequest(NulFree):
    """Give a case to a handler (username) and/or a team; a transfer needs a reason."""

    assignee: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _someone(self) -> AssignRequest:
        if not self.assignee and not self.team:
            raise ValueError("give an assignee, a team, or both")
        return self


class ExtendRequest(NulFree):
    """cn-nfra-2020 Art. 18: complex (to 30 days) or further (+30, approval required)."""

    kind: Literal["complex", "further"]
    reason: str = Field(min_length=1, max_length=2000)


class Redress(NulFree):
    """What the bank gives: a type and, for money, an amount as a decimal string and its currency."""

    type: str = Field(min_length=1, max_length=32, examples=["refund"])
    amount: str | None = Field(default=None, pattern=AMOUNT, examples=["680.00"])
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["CNY"])

    @model_validator(mode="after")
    def _currency_with_amount(self) -> Redress:
        if (self.amount is None) != (self.currency is None):
            raise ValueError("amount and currency go together")
        return self

    def money(self) -> tuple[Decimal, str] | None:
        """The amount as (Decimal, currency), or None."""
        return (Decimal(self.amount), self.currency) if self.amount and self.currency else None


class LetterDraftRequest(NulFree):
    """What the draft letter should already say (all optional)."""

    outcome: Outcome | None = None
    redress: Redress | None = None
    verified: str | None = Field(default=None, max_length=20_000)
    basis: str | None = Field(default=None, max_length=20_000)


class LetterDraft(BaseModel):
    """A rendered draft and the parts the final text must keep."""

    template: str
    letter: str
    required_parts: list[str]


class DecideRequest(NulFree):
    """The decision and the final letter text as edited by the handler."""

    outcome: Outcome
    redress: Redress | None = None
    root_cause: str = Field(min_length=1, max_length=64)
    letter: str = Field(min_length=1, max_length=50_000)


class ReclassifyRequest(NulFree):
    """Staff's corrected codes."""

    business_line: str = Field(min_length=1, max_length=64)
    cause: str = Field(min_length=1, max_length=64)
    # Omitted: the case keeps its flags (a business-line fix must not silently clear a self-harm flag).
    flags: list[str] | None = None
    severity: Literal["low", "medium", "high", "critical"] | None = None
    complexity: Literal["simple", "complex"]
    emotion: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=2000)


class NoteCreate(NulFree):
    """A note or internal comment."""

    body: str = Field(min_length=1, max_length=20_000)
    visibility: Literal["internal", "customer_facing"] = "internal"


class AttachmentCreate(NulFree):
    """Metadata of a file kept in the bank's document store."""

    filename: str = Field(min_length=1, max_length=255)
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=100)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    storage_uri: str = Field(min_length=1, max_length=1000)


class SurveyAnswer(NulFree):
    """A satisfaction score 1-5 and an optional comment."""

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


PiiField = Literal["name", "id_type", "id_number", "phone", "email", "address", "customer_id", "agent_name",
                   "agent_phone", "subject", "content"]


class PiiRevealRequest(NulFree):
    """Why the staff member needs the complainant's clear personal data, and which parts (default all)."""

    reason: str = Field(min_length=5, max_length=500)
    fields: list[PiiField] | None = Field(default=None, min_length=1)


class PiiRevealed(BaseModel):
    """The clear personal data shown once to the caller; the reveal is in the audit log."""

    case_id: str
    pii: dict[str, str]
    revealed_at: datetime


class CaseSummary(BaseModel):
    """One row of the case list (no personal data: cases hold only the pseudonymous ref)."""

    model_config = ConfigDict(from_attributes=True)

    case_id: str
    reference: str | None
    status: str
    channel: str | None
    branch_code: str | None
    org_path: str
    business_line: str | None
    cause: str | None
    severity: str | None
    complexity: str | None
    flags: list[str]
    assignee: str | None
    team: str | None
    received_at: datetime | None
    due_at: datetime | None
    breached: bool
    warning_level: int
    mediation_offered: bool
    duplicate_of: str | None


class CasePage(BaseModel):
    """A page of cases and the cursor of the next page."""

    items: list[CaseSummary]
    next_cursor: str | None


class TimelineEntry(BaseModel):
    """One thing that happened to a case."""

    seq: int
    kind: str
    source: str
    occurred_at: datetime
    actor: str | None
    event_id: str | None
    data: dict


class CaseDetail(CaseSummary):
    """A case with everything recorded about it."""

    content: str | None
    language: str | None
    complainant_ref: str | None
    amount_disputed: dict | None
    group_size: int
    regulator_authority: str | None
    allowed_transitions: list[str]
    decided_at: datetime | None
    closed_at: datetime | None
    lookback_returned: bool | None
    clocks: list[dict]
    decisions: list[dict]
    extensions: list[dict]
    surveys: list[dict]
    notes: list[dict]
    attachments: list[dict]
    timeline: list[TimelineEntry]


class DecisionIssued(BaseModel):
    """The decided case and the one-time survey token (shown once; only its hash is kept)."""

    case: CaseDetail
    survey_token: str
    survey_expires_in_days: int
