"""Intake's view of downstream progress, kept from events for GET /v1/complaints/{id}."""

from __future__ import annotations

from sqlalchemy import update

from intake.models import complaints
from shared.consumer import HandlerContext
from shared.events import ComplaintClassified, SlaBreached, SlaClockStarted, SlaClockStopped


async def record_classification(event: ComplaintClassified, ctx: HandlerContext) -> None:
    """Keep the classification summary for GET /v1/complaints/{id}."""
    summary = {
        "business_line": event.business_line, "cause": event.cause, "severity": event.severity,
        "complexity": event.complexity, "flags": event.flags, "needs_review": event.needs_review,
    }
    await ctx.uow.session.execute(
        update(complaints).where(complaints.c.id == event.complaint_id)
        .values(classification=summary, classified_at=ctx.envelope.time)
    )


async def record_clock_started(event: SlaClockStarted, ctx: HandlerContext) -> None:
    """Keep the decision deadline for GET /v1/complaints/{id}."""
    if event.clock_name != "decision":
        return
    await ctx.uow.session.execute(
        update(complaints).where(complaints.c.id == event.complaint_id)
        .values(sla_due_at=event.due_at, sla_due_date=event.due_date, sla_state="running")
    )


async def record_breach(event: SlaBreached, ctx: HandlerContext) -> None:
    """Show a breached deadline as such."""
    await _set_sla_state(ctx, event.complaint_id, event.clock_name, "breached")


async def record_clock_stopped(event: SlaClockStopped, ctx: HandlerContext) -> None:
    """Show a stopped deadline as met or missed (a stopped clock also closes duplicate linking)."""
    await _set_sla_state(ctx, event.complaint_id, event.clock_name, event.outcome)


async def _set_sla_state(ctx: HandlerContext, complaint_id: str, clock_name: str, state: str) -> None:
    if clock_name == "decision":
        await ctx.uow.session.execute(
            update(complaints).where(complaints.c.id == complaint_id).values(sla_state=state)
        )
