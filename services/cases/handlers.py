"""Projection use cases: build each case from the upstream streams, in whatever order they arrive.

Every handler upserts (a classification may come before the receipt it followed), records the
event on the case's timeline, and then acts on what is known.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from services.cases import store, timeline, workflow
from services.cases.assignment import AssignmentRules
from services.cases.models import case_clocks
from services.cases.settings import CasesSettings
from shared.consumer import HandlerContext
from shared.db import upsert_insert
from shared.events import (ComplaintClassified, ComplaintDuplicateLinked, ComplaintReceived, Event, SlaBreached,
                           SlaClockStarted, SlaClockStopped, SlaWarningIssued)

MEDIATION_OFFERED = "kesu.case.mediation_offered"


async def on_received(event: ComplaintReceived, ctx: HandlerContext, *, settings: CasesSettings,
                      rules: AssignmentRules) -> None:
    """Fill the case from the complaint as received; offer mediation; assign if already classified."""
    session, now = ctx.uow.session, ctx.uow.clock.now()
    await store.ensure(session, event.complaint_id, now=now)
    amount = event.amount_disputed
    await store.change(
        session, event.complaint_id, now=now, reference=event.reference, channel=event.channel,
        branch_code=event.branch_code, org_path=await store.org_path_for(session, event.branch_code),
        language=event.language, content=event.content, group_size=event.group_size,
        amount_value=amount.value if amount else None, amount_currency=amount.currency if amount else None,
        received_at=event.received_at, complainant_ref=event.complainant_ref, duplicate_of=event.duplicate_of,
        regulator_authority=event.regulator_authority,
    )
    await timeline.add_event(session, event, ctx.envelope)
    if event.duplicate_of:
        await _note_duplicate_on_primary(ctx, event.duplicate_of, event.complaint_id)
    if mediation_eligible(amount.value if amount else None, amount.currency if amount else None, settings):
        await _offer_mediation(ctx, event.complaint_id, amount.value, settings)
    await workflow.auto_assign(ctx.uow, await store.get(session, event.complaint_id), rules=rules,
                               settings=settings, caused_by=ctx.envelope)


def mediation_eligible(value: Decimal | None, currency: str | None, settings: CasesSettings) -> bool:
    """True for disputes under the fast-lane threshold, in the threshold's currency."""
    return value is not None and currency == settings.mediation_currency and value < settings.mediation_threshold


async def _offer_mediation(ctx: HandlerContext, complaint_id: str, value: Decimal, settings: CasesSettings) -> None:
    now = ctx.uow.clock.now()
    await store.change(ctx.uow.session, complaint_id, now=now, mediation_offered=True)
    await timeline.add(ctx.uow.session, complaint_id, kind=MEDIATION_OFFERED, source=ctx.uow.source,
                       occurred_at=ctx.envelope.time, actor=workflow.SYSTEM,
                       data={"amount": str(value), "threshold": str(settings.mediation_threshold),
                             "currency": settings.mediation_currency})


async def _note_duplicate_on_primary(ctx: HandlerContext, primary: str, duplicate: str) -> None:
    await store.ensure(ctx.uow.session, primary, now=ctx.uow.clock.now())
    await timeline.add(ctx.uow.session, primary, kind="kesu.case.duplicate_attached", source=ctx.uow.source,
                       occurred_at=ctx.envelope.time, data={"duplicate": duplicate})


async def on_duplicate_linked(event: ComplaintDuplicateLinked, ctx: HandlerContext) -> None:
    """Link a duplicate to its primary case, on both timelines."""
    await store.ensure(ctx.uow.session, event.complaint_id, now=ctx.uow.clock.now())
    await store.change(ctx.uow.session, event.complaint_id, now=ctx.uow.clock.now(), duplicate_of=event.duplicate_of)
    await timeline.add_event(ctx.uow.session, event, ctx.envelope)
    await _note_duplicate_on_primary(ctx, event.duplicate_of, event.complaint_id)


async def on_classified(event: ComplaintClassified, ctx: HandlerContext, *, settings: CasesSettings,
                        rules: AssignmentRules) -> None:
    """Take the classifier's codes; assign by rule once the receipt is known too."""
    session, now = ctx.uow.session, ctx.uow.clock.now()
    await store.ensure(session, event.complaint_id, now=now)
    await store.change(session, event.complaint_id, now=now, business_line=event.business_line, cause=event.cause,
                       flags=store.flags_text(event.flags), severity=event.severity, complexity=event.complexity,
                       emotion=event.emotion)
    await timeline.add_event(session, event, ctx.envelope)
    await workflow.auto_assign(ctx.uow, await store.get(session, event.complaint_id), rules=rules,
                               settings=settings, caused_by=ctx.envelope)


async def _set_clock(ctx: HandlerContext, event, **values) -> None:
    statement = upsert_insert(ctx.uow.session.bind, case_clocks).values(
        clock_id=event.clock_id, complaint_id=event.complaint_id, policy=event.policy,
        clock_name=event.clock_name, **values)
    await ctx.uow.session.execute(statement.on_conflict_do_update(index_elements=[case_clocks.c.clock_id],
                                                                  set_=values))


async def on_clock_started(event: SlaClockStarted, ctx: HandlerContext) -> None:
    """A clock started or was rescheduled: its due instant may now be the case's."""
    now = ctx.uow.clock.now()
    await store.ensure(ctx.uow.session, event.complaint_id, now=now)
    await _set_clock(ctx, event, due_at=event.due_at, state="running")
    await store.refresh_due(ctx.uow.session, event.complaint_id, now=now)
    await timeline.add_event(ctx.uow.session, event, ctx.envelope)


async def on_warning(event: SlaWarningIssued, ctx: HandlerContext) -> None:
    """Keep the highest warning level reached."""
    session, now = ctx.uow.session, ctx.uow.clock.now()
    case = await store.ensure(session, event.complaint_id, now=now)
    await store.change(session, event.complaint_id, now=now, warning_level=max(case["warning_level"], event.level))
    await timeline.add_event(session, event, ctx.envelope)


async def on_breached(event: SlaBreached, ctx: HandlerContext) -> None:
    """Mark the clock and the case as breached."""
    session, now = ctx.uow.session, ctx.uow.clock.now()
    await store.ensure(session, event.complaint_id, now=now)
    await _set_clock(ctx, event, due_at=event.due_at, state="breached")
    await store.change(session, event.complaint_id, now=now, breached=True)
    await timeline.add_event(session, event, ctx.envelope)


async def on_clock_stopped(event: SlaClockStopped, ctx: HandlerContext) -> None:
    """A clock stopped: it no longer sets the case's due instant."""
    session, now = ctx.uow.session, ctx.uow.clock.now()
    await store.ensure(session, event.complaint_id, now=now)
    await session.execute(update(case_clocks).where(case_clocks.c.clock_id == event.clock_id)
                          .values(state=event.outcome))
    await store.refresh_due(session, event.complaint_id, now=now)
    await timeline.add_event(session, event, ctx.envelope)


async def on_other(event: Event, ctx: HandlerContext) -> None:
    """Events that only belong on the timeline (escalations, notifications)."""
    await store.ensure(ctx.uow.session, event.complaint_id, now=ctx.uow.clock.now())
    await timeline.add_event(ctx.uow.session, event, ctx.envelope)
