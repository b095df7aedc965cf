"""HTTP models of the SLA tracker."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class DayRead(BaseModel):
    """One day of a clock's count."""

    date: date
    kind: str
    name: str
    counted: int | None
    paused: bool


class PauseRead(BaseModel):
    """A period the clock did not run."""

    status: str
    paused_at: datetime
    resumed_at: datetime | None


class ExtensionRead(BaseModel):
    """A requested extension and whether the policy allowed it."""

    kind: str
    extra: int
    reason: str
    requested_by: str
    approved_by: str | None
    granted_at: datetime
    applied: bool
    note: str


class TimelineRead(BaseModel):
    """Why the clock falls due when it does."""

    summary: str
    days: list[DayRead]
    pauses: list[PauseRead]
    extensions: list[ExtensionRead]


class ClockRead(BaseModel):
    """One deadline clock with its explanation."""

    clock_id: str
    policy: str
    policy_version: str
    clock_name: str
    generation: int
    state: str
    day_type: str
    allowed: int
    calendar: str
    calendar_version: str
    citation: str
    started_at: datetime
    due_at: datetime
    due_date: date
    legal_latest_date: date | None
    provisional: bool
    warned_level: int
    breached_at: datetime | None
    stopped_at: datetime | None
    outcome: str | None
    stop_reason: str | None
    timeline: TimelineRead


class ClocksRead(BaseModel):
    """All clocks of a complaint."""

    complaint_id: str
    clocks: list[ClockRead]


class PreviewClock(BaseModel):
    """A clock a policy would start."""

    name: str
    due_at: datetime
    due_date: date
    legal_latest_date: date | None
    day_type: str
    amount: int
    provisional: bool
    citation: str
    explanation: str


class PreviewRead(BaseModel):
    """`kesu sla preview` and GET /v1/sla/preview."""

    policy: str
    policy_version: str
    received_at: datetime
    calendar: str
    timezone: str
    clocks: list[PreviewClock]


class DecisionTimeRead(BaseModel):
    """Hours from start to decision."""

    median: float | None
    p90: float | None


class GroupMetrics(BaseModel):
    """SLA figures of one group of clocks."""

    group: str | None
    open: int
    due_24h: int
    due_72h: int
    warned: int
    breached: int
    met: int
    missed: int
    on_time_rate: float | None
    time_to_decision_hours: DecisionTimeRead
    completion_15d_rate: float | None
    ageing: dict[str, int]


class MetricsRead(BaseModel):
    """GET /v1/sla/metrics."""

    model_config = ConfigDict(populate_by_name=True)
    from_: datetime = Field(alias="from")
    to: datetime
    group_by: str | None
    groups: list[GroupMetrics]
