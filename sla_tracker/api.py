"""SLA tracker's HTTP routes: clocks with their explanation, previews, and ops metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from shared.http import Problem
from shared.staff import staff_with
from sla_tracker import explain, handlers, lifecycle, stats
from sla_tracker.models import extensions, pauses
from sla_tracker.schemas import ClockRead, ClocksRead, MetricsRead, PreviewRead


def _context(request: Request):
    return request.app.state.sla_tracker


# Every route reads deadlines of complaints: staff with sla:read (every role has it).
router = APIRouter(prefix="/v1/sla", tags=["sla"],
                   dependencies=[Depends(staff_with("sla:read", lambda request: _context(request).staff))])


Sla = Annotated[object, Depends(_context)]
Complexity = Literal["simple", "complex"]


@router.get("/clocks/{complaint_id}", response_model=ClocksRead)
async def get_clocks(complaint_id: str, sla: Sla) -> ClocksRead:
    """Every deadline clock of a complaint, each explaining how its due date was reached."""
    async with sla.service.unit_of_work() as uow:
        rows = await handlers.clocks_for(uow, complaint_id)
        reads = [await _clock_read(uow, sla.rules, row) for row in rows]
    if not rows:
        raise Problem(404, "Not found", f"No SLA clocks for complaint {complaint_id!r}.")
    return ClocksRead(complaint_id=complaint_id, clocks=reads)


async def _clock_read(uow, rules: lifecycle.Rules, row) -> ClockRead:
    policy, clock = rules.policy_of(row), rules.clock_def(row)
    cal = rules.calendars[policy.calendar]
    until = row.stopped_at or uow.clock.now()
    deadline = await lifecycle.deadline_of(uow, rules, row, allowed=row.allowed, until=until)
    pause_rows = (await uow.session.execute(select(pauses).where(pauses.c.clock_id == row.id)
                                            .order_by(pauses.c.id))).all()
    extension_rows = (await uow.session.execute(select(extensions).where(extensions.c.clock_id == row.id)
                                                .order_by(extensions.c.id))).all()
    fields = {k: getattr(row, k) for k in ClockRead.model_fields if hasattr(row, k) and k != "timeline"}
    return ClockRead(
        **fields, clock_id=row.id, day_type=clock.day_type, calendar=cal.id, calendar_version=cal.version,
        citation=clock.citation,
        timeline={"summary": explain.summary(clock, deadline, cal), "days": explain.days(deadline),
                  "pauses": [p._mapping for p in pause_rows], "extensions": [e._mapping for e in extension_rows]},
    )


@router.get("/preview", response_model=PreviewRead)
async def get_preview(
    sla: Sla,
    policy: Annotated[str, Query(description="Policy id, e.g. cn-nfra-2020")],
    received_at: Annotated[datetime, Query(description="ISO 8601 instant with offset")],
    complexity: Complexity = "simple",
    business_line: str | None = None,
) -> dict:
    """The clocks a policy would start for a complaint received at that instant."""
    if received_at.tzinfo is None:
        raise Problem(422, "Validation failed", "received_at needs a UTC offset",
                      errors=[{"field": "received_at", "message": "naive datetime", "type": "timezone_aware"}])
    if policy not in sla.rules.book.policies:
        raise Problem(404, "Not found", f"No policy {policy!r}; known: {', '.join(sorted(sla.rules.book.policies))}.")
    return explain.preview(sla.rules.book, sla.rules.calendars, policy, received_at, complexity, business_line)


@router.get("/metrics", response_model=MetricsRead)
async def get_metrics(
    sla: Sla,
    from_: Annotated[datetime | None, Query(alias="from", description="clocks started at or after")] = None,
    to: Annotated[datetime | None, Query(description="clocks started before (default now)")] = None,
    group_by: Literal["branch", "business_line", "channel", "policy"] | None = None,
) -> dict:
    """Open, due soon, warned, breached, met; on-time rate; decision-time percentiles; ageing."""
    async with sla.service.unit_of_work() as uow:
        end = to or uow.clock.now()
        start = from_ or end - timedelta(days=365)
        groups = await stats.sla_metrics(uow, start=start, end=end, group_by=group_by)
    return {"from": start, "to": end, "group_by": group_by, "groups": groups}
