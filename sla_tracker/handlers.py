"""SLA tracker use cases: start, recompute, pause, resume, extend, restart and stop clocks on events.

Streams arrive in any order across topics, so every handler first records what it learnt in
``sla_complaints`` and acts only on what is known: clocks start once the receipt is known,
and a classification that came first is applied when it does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from shared.consumer import HandlerContext
from shared.events import CaseStatusChanged, ComplaintClassified, ComplaintReceived, ComplaintReclassified, ExtensionGranted
from shared.uow import UnitOfWork
from sla_tracker import lifecycle, rollup
from sla_tracker.deadlines import decide_extension
from sla_tracker.lifecycle import Rules
from sla_tracker.models import clocks, complaints, extensions

CLASSIFIED = "classified"  # the pseudo-status a classification stops (e.g. bank-1357 `tagged`)


async def _complaint(uow: UnitOfWork, complaint_id: str, **values):
    """Upsert what is known of a complaint and return the row."""
    table = complaints
    found = (await uow.session.execute(select(table).where(table.c.complaint_id == complaint_id))).first()
    if found is None:
        await uow.session.execute(insert(table).values(complaint_id=complaint_id, policies=[], **values))
    elif values:
        await uow.session.execute(update(table).where(table.c.complaint_id == complaint_id).values(**values))
    return (await uow.session.execute(select(table).where(table.c.complaint_id == complaint_id))).one()


def _attributes(rules: Rules, complaint) -> dict[str, str | None]:
    return {"jurisdiction": rules.jurisdiction, "channel": complaint.channel, "business_line": complaint.business_line,
            "regulator_authority": complaint.regulator_authority, "branch_code": complaint.branch_code,
            "region_code": complaint.region_code}


async def on_received(event: ComplaintReceived, ctx: HandlerContext, *, rules: Rules) -> None:
    """Select the complaint's policies and start their clocks at the moment of receipt."""
    complaint = await _complaint(
        ctx.uow, event.complaint_id, received_at=event.received_at, channel=event.channel,
        branch_code=event.branch_code, region_code=event.region_code, regulator_authority=event.regulator_authority,
    )
    await _start_due_clocks(ctx, rules, complaint, "received", event.received_at)


async def _start_due_clocks(ctx: HandlerContext, rules: Rules, complaint, trigger: str, at: datetime) -> None:
    """Start every applicable, not yet started clock of the selected policies that ``trigger`` starts."""
    if complaint.received_at is None:
        return  # the receipt is still in flight on its own topic; it will start the clocks
    selected = list(dict.fromkeys([*complaint.policies, *rules.book.select(_attributes(rules, complaint))]))
    if selected != complaint.policies:
        await ctx.uow.session.execute(update(complaints).where(complaints.c.complaint_id == complaint.complaint_id)
                                      .values(policies=selected))
    existing = await lifecycle.latest_generations(ctx.uow, complaint.complaint_id)
    for policy_id in selected:
        policy = rules.book.get(policy_id, on=complaint.received_at.date())
        for clock in policy.clocks:
            if (policy.id, clock.name) in existing or not _applies(clock, complaint, trigger):
                continue
            start = complaint.received_at if clock.start_on == "received" else at
            await lifecycle.start_clock(ctx.uow, rules, policy, clock, complaint, started_at=start,
                                        caused_by=ctx.envelope)


def _applies(clock, complaint, trigger: str) -> bool:
    # Clocks that start at receipt also start late (after a classification) if still missing.
    started_by_trigger = clock.start_on == trigger or (clock.start_on == "received" and trigger == CLASSIFIED)
    return started_by_trigger and (clock.applies_to == "all" or complaint.complexity == "complex")


async def on_classified(event: ComplaintClassified, ctx: HandlerContext, *, rules: Rules) -> None:
    """Apply the complexity and business line: recompute, start complex-only clocks, stop `tagged`."""
    await _apply_classification(ctx, rules, event.complaint_id, event.business_line, event.complexity,
                                at=ctx.envelope.time, stop_tagged=True)


async def on_reclassified(event: ComplaintReclassified, ctx: HandlerContext, *, rules: Rules) -> None:
    """Staff corrected the codes: recompute deadlines; drop complex-only clocks of a now simple case."""
    await _apply_classification(ctx, rules, event.complaint_id, event.business_line, event.complexity,
                                at=event.reclassified_at, stop_tagged=False)


async def _apply_classification(ctx: HandlerContext, rules: Rules, complaint_id: str, business_line: str,
                                complexity: str, *, at: datetime, stop_tagged: bool) -> None:
    complaint = await _complaint(ctx.uow, complaint_id, business_line=business_line, complexity=complexity)
    for row in await lifecycle.open_clocks(ctx.uow, complaint_id):
        clock = rules.policy_of(row).clock(row.clock_name)
        if stop_tagged and CLASSIFIED in clock.stop_on:
            await lifecycle.stop(ctx.uow, rules, row, at, CLASSIFIED, complexity=complexity, caused_by=ctx.envelope)
        elif clock.applies_to == "complex" and complexity != "complex":
            await lifecycle.stop(ctx.uow, rules, row, at, "not applicable: reclassified simple",
                                 complexity=complexity, caused_by=ctx.envelope, state="cancelled")
        else:
            await _recompute(ctx, rules, row, complexity, business_line)
    await _start_due_clocks(ctx, rules, complaint, CLASSIFIED, at)


async def _recompute(ctx: HandlerContext, rules: Rules, row, complexity: str, business_line: str) -> None:
    await rollup.update_clock(ctx.uow, row.id, business_line=business_line)
    row = (await ctx.uow.session.execute(select(clocks).where(clocks.c.id == row.id))).one()
    if row.state == "paused":
        return  # the deadline is recomputed on resume
    deadline = await lifecycle.deadline_of(ctx.uow, rules, row, complexity=complexity)
    await lifecycle.reschedule(ctx.uow, rules, row, deadline, caused_by=ctx.envelope)


async def on_status_changed(event: CaseStatusChanged, ctx: HandlerContext, *, rules: Rules) -> None:
    """Stop, restart, pause or resume each open clock as its policy maps the new status; start others."""
    complaint = await _complaint(ctx.uow, event.complaint_id)
    status, at = event.to_status, event.changed_at
    for row in await lifecycle.open_clocks(ctx.uow, event.complaint_id):
        policy = rules.policy_of(row)
        if status in policy.stop_statuses or status in policy.clock(row.clock_name).stop_on:
            await lifecycle.stop(ctx.uow, rules, row, at, status, complexity=complaint.complexity, caused_by=ctx.envelope)
        elif status in policy.pause_statuses and row.state != "paused":
            await lifecycle.pause(ctx.uow, row, status, at)
        elif row.state == "paused" and status not in policy.pause_statuses:
            await lifecycle.resume(ctx.uow, rules, row, at, complexity=complaint.complexity, caused_by=ctx.envelope)
    await _restart(ctx, rules, complaint, status, at)
    await _start_due_clocks(ctx, rules, complaint, status, at)


async def _restart(ctx: HandlerContext, rules: Rules, complaint, status: str, at: datetime) -> None:
    """Order 3 art. 18 ¶3: a re-filing with new facts restarts the clock from its receipt."""
    latest = await lifecycle.latest_generations(ctx.uow, complaint.complaint_id)
    for (policy_id, name), row in latest.items():
        policy = rules.policy_of(row)
        if status not in policy.restart_statuses or policy.clock(name).start_on != "received":
            continue
        if row.state in lifecycle.OPEN_STATES:
            await lifecycle.stop(ctx.uow, rules, row, at, "restarted", complexity=complaint.complexity,
                                 caused_by=ctx.envelope)
        await lifecycle.start_clock(ctx.uow, rules, policy, policy.clock(name), complaint, started_at=at,
                                    generation=row.generation + 1, caused_by=ctx.envelope)


async def on_extension_granted(event: ExtensionGranted, ctx: HandlerContext, *, rules: Rules) -> None:
    """Record the extension; apply it only within the policy's maximum and approval rule."""
    rows = [r for r in await lifecycle.open_clocks(ctx.uow, event.complaint_id)
            if (r.policy, r.clock_name) == (event.policy, event.clock_name)]
    for row in rows:
        decision = decide_extension(rules.clock_def(row), row.allowed, event.extra_days, event.approved_by)
        await ctx.uow.session.execute(insert(extensions).values(
            clock_id=row.id, kind=event.kind, extra=decision.allowed - row.allowed, reason=event.reason,
            requested_by=event.requested_by, approved_by=event.approved_by, granted_at=event.granted_at,
            applied=decision.applied, note=decision.note,
        ))
        if decision.applied and row.state != "paused":
            deadline = await lifecycle.deadline_of(ctx.uow, rules, row, allowed=decision.allowed)
            await lifecycle.reschedule(ctx.uow, rules, row, deadline, caused_by=ctx.envelope)
        elif decision.applied:
            await rollup.update_clock(ctx.uow, row.id, allowed=decision.allowed)


async def clocks_for(uow: UnitOfWork, complaint_id: str) -> list:
    """Every clock of a complaint, every generation."""
    query = select(clocks).where(clocks.c.complaint_id == complaint_id)
    return (await uow.session.execute(query.order_by(clocks.c.started_at, clocks.c.policy, clocks.c.clock_name))).all()


async def recompute_provisional(uow: UnitOfWork, rules: Rules) -> int:
    """After a calendar import, recompute running clocks whose deadline was provisional."""
    query = select(clocks).where(clocks.c.provisional.is_(True), clocks.c.state.in_(("running", "breached")))
    rows = (await uow.session.execute(query)).all()
    for row in rows:
        deadline = await lifecycle.deadline_of(uow, rules, row, allowed=row.allowed)
        await lifecycle.reschedule(uow, rules, row, deadline, caused_by=None)
    return len(rows)
