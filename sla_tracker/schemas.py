"""HTTP models of the SLA tracker."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class ClockRead(BaseModel):
    """One deadline clock."""

    clock_id: str
    policy: str
    clock_name: str
    state: str
    started_at: datetime
    due_at: datetime
    due_date: date
    provisional: bool
    warned_level: int
    breached_at: datetime | None
    stopped_at: datetime | None
    outcome: str | None


class ClocksRead(BaseModel):
    """All clocks of a complaint."""

    complaint_id: str
    clocks: list[ClockRead]
