"""The event contract: CloudEvents envelope and one pydantic model per event type and version.

Changing a published version is forbidden; add a ``.v2`` model beside it instead.
Events carry no direct personal identifiers: only the pseudonymous ``complainant_ref``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"


class Event(BaseModel):
    """Base of every event: a past-tense fact about one complaint."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: ClassVar[str]
    stream: ClassVar[str]

    complaint_id: str


class Money(BaseModel):
    """An amount in a currency; never a float."""

    model_config = ConfigDict(frozen=True)
    value: Decimal
    currency: str = Field(min_length=3, max_length=3)


# --- complaint-events (intake) -------------------------------------------------------------


class ComplaintReceived(Event):
    """Intake accepted a complaint from a channel."""

    type: ClassVar[str] = "kesu.complaint.received.v1"
    stream: ClassVar[str] = "complaint-events"

    reference: str
    channel: str
    external_ref: str | None = None
    received_at: datetime
    complainant_ref: str | None = None
    language: Literal["zh", "en"] = "zh"
    subject: str | None = None
    content: str
    product_hint: str | None = None
    branch_code: str | None = None
    region_code: str | None = None
    group_size: int = 1
    amount_disputed: Money | None = None
    regulator_authority: str | None = None
    regulator_deadline: datetime | None = None
    duplicate_of: str | None = None


class ComplaintDuplicateLinked(Event):
    """Intake linked a complaint to an earlier one about the same matter from the same person."""

    type: ClassVar[str] = "kesu.complaint.duplicate_linked.v1"
    stream: ClassVar[str] = "complaint-events"

    duplicate_of: str
    complainant_ref: str | None = None
    similarity: float = Field(ge=0, le=1)
    reason: str
    linked_at: datetime


# --- classification-events (classifier) ----------------------------------------------------


class ComplaintClassified(Event):
    """The classifier assigned codes to a complaint."""

    type: ClassVar[str] = "kesu.complaint.classified.v1"
    stream: ClassVar[str] = "classification-events"

    business_line: str
    cause: str
    flags: list[str] = Field(default_factory=list)
    emotion: str
    severity: str
    complexity: Literal["simple", "complex"]
    confidence: dict[str, float] = Field(default_factory=dict)
    model_version: str
    taxonomy_version: str
    explanation: list[str] = Field(default_factory=list)
    needs_review: bool = False


# --- case-events (services/cases) ----------------------------------------------------------


class CaseStatusChanged(Event):
    """A case moved from one workflow state to another."""

    type: ClassVar[str] = "kesu.case.status_changed.v1"
    stream: ClassVar[str] = "case-events"

    from_status: str | None = None
    to_status: str
    reason: str | None = None
    actor: str | None = None
    changed_at: datetime


class ComplaintReclassified(Event):
    """Staff corrected the classifier's codes (the classifier learns from it)."""

    type: ClassVar[str] = "kesu.case.reclassified.v1"
    stream: ClassVar[str] = "case-events"

    business_line: str
    cause: str
    flags: list[str] = Field(default_factory=list)
    emotion: str | None = None
    severity: str | None = None
    complexity: Literal["simple", "complex"]
    previous: dict[str, object] = Field(default_factory=dict)
    reason: str | None = None
    actor: str
    reclassified_at: datetime


class ExtensionGranted(Event):
    """A deadline was extended, with its reason and, where required, the approver."""

    type: ClassVar[str] = "kesu.case.extension_granted.v1"
    stream: ClassVar[str] = "case-events"

    policy: str
    clock_name: str
    kind: Literal["complex", "further", "exceptional"]
    extra_days: int = Field(gt=0)
    reason: str
    requested_by: str
    approved_by: str | None = None
    granted_at: datetime


class CaseAssigned(Event):
    """A case was given to a handler and/or a team (manually, by rule, or as a transfer)."""

    type: ClassVar[str] = "kesu.case.assigned.v1"
    stream: ClassVar[str] = "case-events"

    case_id: str
    assignee: str | None = Field(default=None, description="username of the handler")
    team: str | None = None
    org_code: str | None = None
    reason: str | None = None
    actor: str
    assigned_at: datetime


class CaseDecisionIssued(Event):
    """The bank issued its decision on a complaint (or on a review of one)."""

    type: ClassVar[str] = "kesu.case.decision_issued.v1"
    stream: ClassVar[str] = "case-events"

    case_id: str
    outcome: Literal["upheld", "partially_upheld", "rejected"]
    redress_type: str | None = None
    redress_amount: Money | None = None
    root_cause: str
    review: bool = False
    issued_at: datetime


class SurveyCompleted(Event):
    """The complainant rated the handling of a decided case (score 1-5; comment redacted)."""

    type: ClassVar[str] = "kesu.case.survey_completed.v1"
    stream: ClassVar[str] = "case-events"

    case_id: str
    score: int = Field(ge=1, le=5)
    comment: str | None = None
    channel: Literal["link", "callback"]
    completed_at: datetime


# --- sla-events (sla_tracker) --------------------------------------------------------------


class SlaClockStarted(Event):
    """A regulatory deadline clock started for a complaint."""

    type: ClassVar[str] = "kesu.sla.clock_started.v1"
    stream: ClassVar[str] = "sla-events"

    clock_id: str
    policy: str
    clock_name: str
    started_at: datetime
    due_at: datetime
    due_date: date
    provisional: bool = False


class SlaWarningIssued(Event):
    """A clock used up a warning threshold of its allowed time."""

    type: ClassVar[str] = "kesu.sla.warning_issued.v1"
    stream: ClassVar[str] = "sla-events"

    clock_id: str
    policy: str
    clock_name: str
    level: int = Field(description="percent of the allowed time used, e.g. 50 or 80")
    due_at: datetime
    issued_at: datetime


class SlaBreached(Event):
    """A clock passed its due instant while still running."""

    type: ClassVar[str] = "kesu.sla.breached.v1"
    stream: ClassVar[str] = "sla-events"

    clock_id: str
    policy: str
    clock_name: str
    due_at: datetime
    breached_at: datetime


class SlaEscalated(Event):
    """A clock at risk or breached was escalated one step up the ladder."""

    type: ClassVar[str] = "kesu.sla.escalated.v1"
    stream: ClassVar[str] = "sla-events"

    clock_id: str
    policy: str
    clock_name: str
    step: int = Field(ge=1)
    escalate_to: str = Field(description="role, e.g. team_lead, branch_head, complaint_officer")
    due_at: datetime
    escalated_at: datetime


class SlaClockStopped(Event):
    """A clock stopped: the deadline was met or missed."""

    type: ClassVar[str] = "kesu.sla.clock_stopped.v1"
    stream: ClassVar[str] = "sla-events"

    clock_id: str
    policy: str
    clock_name: str
    outcome: Literal["met", "missed"]
    stopped_at: datetime
    reason: str | None = None


# --- notification-events (notifier) --------------------------------------------------------


class NotificationSent(Event):
    """A notification reached its recipient's channel."""

    type: ClassVar[str] = "kesu.notification.sent.v1"
    stream: ClassVar[str] = "notification-events"

    notification_id: str
    channel: str
    template: str
    recipient_kind: str
    attempts: int
    sent_at: datetime


class NotificationFailed(Event):
    """A notification attempt failed (``final`` when no more retries follow)."""

    type: ClassVar[str] = "kesu.notification.failed.v1"
    stream: ClassVar[str] = "notification-events"

    notification_id: str
    channel: str
    template: str
    recipient_kind: str
    attempts: int
    error: str
    final: bool
    failed_at: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        ComplaintReceived,
        ComplaintDuplicateLinked,
        ComplaintClassified,
        CaseStatusChanged,
        ComplaintReclassified,
        ExtensionGranted,
        CaseAssigned,
        CaseDecisionIssued,
        SurveyCompleted,
        SlaClockStarted,
        SlaWarningIssued,
        SlaBreached,
        SlaEscalated,
        SlaClockStopped,
        NotificationSent,
        NotificationFailed,
    )
}


class InvalidMessage(ValueError):
    """A message that can never be processed (bad envelope or schema): it goes to the DLQ."""


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus tracing ids; ``data`` is the event's JSON body."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    time: datetime
    subject: str
    specversion: str = SPEC_VERSION
    correlation_id: str
    causation_id: str | None = None
    data: bytes

    def event(self) -> Event:
        """Parse the body into its registered event model."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise InvalidMessage(f"unknown event type {self.type!r}")
        try:
            return model.model_validate_json(self.data)
        except ValueError as exc:
            raise InvalidMessage(f"{self.type}: {exc}") from exc


def envelope_for(
    event: Event, *, source: str, time: datetime, caused_by: Envelope | None = None
) -> Envelope:
    """Wrap an event; a caused event inherits the correlation id of its cause."""
    event_id = str(uuid.uuid4())
    return Envelope(
        id=event_id,
        source=source,
        type=event.type,
        time=time,
        subject=event.complaint_id,
        correlation_id=caused_by.correlation_id if caused_by else event_id,
        causation_id=caused_by.id if caused_by else None,
        data=event.model_dump_json().encode(),
    )


_HEADER_FIELDS = ("id", "source", "type", "time", "subject", "specversion")


def to_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """Kafka binary-mode headers for an envelope."""
    headers = [(f"ce_{name}", _header_value(envelope, name)) for name in _HEADER_FIELDS]
    headers.append(("content-type", b"application/json"))
    headers.append(("correlation_id", envelope.correlation_id.encode()))
    if envelope.causation_id:
        headers.append(("causation_id", envelope.causation_id.encode()))
    return headers


def _header_value(envelope: Envelope, name: str) -> bytes:
    value = getattr(envelope, name)
    return (value.isoformat() if isinstance(value, datetime) else str(value)).encode()


def from_message(headers: list[tuple[str, bytes]] | tuple, value: bytes | None) -> Envelope:
    """Rebuild an envelope from Kafka headers and body; raises InvalidMessage when malformed."""
    found = {key: raw for key, raw in headers or ()}
    try:
        attrs = {name: found[f"ce_{name}"].decode() for name in _HEADER_FIELDS}
        return Envelope(
            **attrs,
            correlation_id=found.get("correlation_id", found["ce_id"]).decode(),
            causation_id=found["causation_id"].decode() if "causation_id" in found else None,
            data=value or b"",
        )
    except (KeyError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage(f"bad CloudEvents envelope: {exc!r}") from exc
