"""SLA tracker use cases: start, recompute, pause, resume, extend, restart and stop clocks on events.

Streams arrive in any order across topics, so every handler first records what it learnt in
``sla_complaints`` and acts only on what is known: clocks start once the receipt is known,
and a classification that came first is applied when it does.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import insert, select, update

from shared.consumer import HandlerContext
from shared.db import upsert_insert
from shared.events import CaseStatusChanged, ComplaintClassified, ComplaintReceived, ComplaintReclassified, ExtensionGranted
from shared.uow import UnitOfWork
from sla_tracker import lifecycle, queued, rollup
from sla_tracker.deadlines import decide_extension
from sla_tracker.lifecycle import Rules
from sla_tracker.models import clocks, complaints, extensions

CLASSIFIED = "classified"  # the pseudo-status a classification stops (e.g. bank-1357 `tagged`)
KNOWN = "sla_known_complaints"  # session.info: which receipts of the batch name an existing complaint


async def _complaint(uow: UnitOfWork, complaint_id: str, *, policies: list[str] | None = None, **values):
    """Upsert what is known of a complaint; return the row and whether this inserted it.

    A new row gets ``policies`` (the selection its values imply); an existing one keeps its own.
    """
    table = complaints
    await queued.write(uow.session, table)
    _known(uow).setdefault("found", set()).add(complaint_id)
    insert_new = upsert_insert(uow.session.bind, table).on_conflict_do_nothing().returning(*table.c)
    row = dict(complaint_id=complaint_id, policies=policies or [], **values)
    inserted = (await uow.session.execute(insert_new, row)).first()
    if inserted is not None:
        return inserted, True
    where = table.c.complaint_id == complaint_id
    query = update(table).where(where).values(**values).returning(*table.c) if values else select(table).where(where)
    return (await uow.session.execute(query)).one(), False


def _known(uow: UnitOfWork) -> dict[str, set[str]]:
    return uow.session.info.setdefault(KNOWN, {})


async def _first_seen(ctx: HandlerContext, complaint_id: str) -> bool:
    """True when no row of the complaint exists, as read once for all receipts of the batch; False if unsure."""
    known = _known(ctx.uow)
    if "asked" not in known:
        known["asked"] = {e.complaint_id for e in ctx.batch if isinstance(e, ComplaintReceived)}
        query = select(complaints.c.complaint_id).where(complaints.c.complaint_id.in_(known["asked"]))
        found = set((await ctx.uow.session.scalars(query)).all()) if known["asked"] else set()
        known.setdefault("found", set()).update(found)
    if complaint_id not in known["asked"] or complaint_id in known["found"]:
        return False
    known["found"].add(complaint_id)  # a second receipt of it in this batch takes the upsert path
    return True


def _attributes(rules: Rules, complaint) -> dict[str, str | None]:
    names = ("channel", "business_line", "regulator_authority", "branch_code", "region_code")
    return {"jurisdiction": rules.jurisdiction, **{name: getattr(complaint, name, None) for name in names}}


async def on_received(event: ComplaintReceived, ctx: HandlerContext, *, rules: Rules) -> None:
    """Select the complaint's policies and start their clocks at the moment of receipt."""
    values = dict(received_at=event.received_at, channel=event.channel, branch_code=event.branch_code,
                  region_code=event.region_code, regulator_authority=event.regulator_authority)
    policies = rules.book.select(_attributes(rules, SimpleNamespace(**values)))
    if await _first_seen(ctx, event.complaint_id):
        # Batch mode, new complaint: queue its row (inserted with the batch's others) instead of an upsert.
        row = dict(complaint_id=event.complaint_id, policies=policies, business_line=None, complexity=None, **values)
        queued.add(ctx.uow.session, complaints, row)
        complaint, new = SimpleNamespace(**row), True
    else:
        complaint, new = await _complaint(ctx.uow, event.complaint_id, policies=policies, **values)
    # Clocks start only once the receipt is known, so a complaint first seen now has none yet.
    await _start_due_clocks(ctx, rules, complaint, "received", event.received_at, existing={} if new else None)


async def _start_due_clocks(ctx: HandlerContext, rules: Rules, complaint, trigger: str, at: datetime,
                            existing: dict | None = None) -> None:
    """Start every applicable, not yet started clock of the selected policies that ``trigger`` starts."""
    if complaint.received_at is None:
        return  # the receipt is still in flight on its own topic; it will start the clocks
    selected = list(dict.fromkeys([*complaint.policies, *rules.book.select(_attributes(rules, complaint))]))
    if selected != complaint.policies:
        await ctx.uow.session.execute(update(complaints).where(complaints.c.complaint_id == complaint.complaint_id)
                                      .values(policies=selected))
    if existing is None:
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
    complaint, _ = await _complaint(ctx.uow, complaint_id, business_line=business_line, complexity=complexity)
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
    row = await rollup.update_clock(ctx.uow, row.id, business_line=business_line)
    if row.state == "paused":
        return  # the deadline is recomputed on resume
    deadline = await lifecycle.deadline_of(ctx.uow, rules, row, complexity=complexity)
    await lifecycle.reschedule(ctx.uow, rules, row, deadline, caused_by=ctx.envelope)


async def on_status_changed(event: CaseStatusChanged, ctx: HandlerContext, *, rules: Rules) -> None:
    """Stop, restart, pause or resume each open clock as its policy maps the new status; start others."""
    complaint, _ = await _complaint(ctx.uow, event.complaint_id)
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
    return await rollup.read_clocks(uow, query.order_by(clocks.c.started_at, clocks.c.policy, clocks.c.clock_name))


async def recompute_provisional(uow: UnitOfWork, rules: Rules) -> int:
    """After a calendar import, recompute running clocks whose deadline was provisional."""
    query = select(clocks).where(clocks.c.provisional.is_(True), clocks.c.state.in_(("running", "breached")))
    rows = await rollup.read_clocks(uow, query)
    for row in rows:
        deadline = await lifecycle.deadline_of(uow, rules, row, allowed=row.allowed)
        await lifecycle.reschedule(uow, rules, row, deadline, caused_by=None)
    return len(rows)
