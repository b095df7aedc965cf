"""Notifier use cases on events: learn the complaint's attributes, record the notifications the rules ask for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from notifier import ledger, people, rules
from notifier.models import complaints, webhooks
from notifier.people import Routing
from notifier.rulebook import TimeLimits
from shared.consumer import HandlerContext
from shared.db import upsert_insert
from shared.events import CaseAssigned, ComplaintClassified, ComplaintReceived, ComplaintReclassified, Envelope, Event
from shared.uow import UnitOfWork

ACK_RULE = "ack-webhook"
FACTS = ("branch_code", "business_line", "severity", "reference", "language", "received_at", "assignee")


def acknowledgement_body(event: ComplaintReceived, event_id: str, now: datetime, limits: TimeLimits) -> dict:
    """The CloudEvents JSON a channel system receives when its complaint is acknowledged."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "kesu/notifier",
        "type": "kesu.notification.acknowledgement.v1",
        "subject": event.complaint_id,
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "complaint_id": event.complaint_id,
            "reference": event.reference,
            "channel": event.channel,
            "external_ref": event.external_ref,
            "received_at": event.received_at.isoformat(),
            "next_steps": f"The complaint is registered and will be decided within {limits.decision_days} days "
                          "of receipt.",
        },
    }


def cloudevent_body(event: Event, envelope: Envelope) -> dict:
    """The event as a structured-mode CloudEvent, as a subscriber receives it."""
    return {
        "specversion": envelope.specversion, "id": envelope.id, "source": envelope.source,
        "type": envelope.type, "subject": envelope.subject, "time": envelope.time.isoformat(),
        "datacontenttype": "application/json", "correlationid": envelope.correlation_id,
        "data": event.model_dump(mode="json"),
    }


async def handle_event(event: Event, ctx: HandlerContext, *, routing: Routing) -> None:
    """Learn the complaint's attributes, then record what the rules ask: webhooks, acknowledgement, people."""
    facts = await remember_facts(event, ctx.uow)
    if routing.rulebook.wants_subscribers(event):
        await fan_out(event, ctx, rules.Facts(event_type=event.type, **{k: facts.get(k) for k in rules.FILTERED}))
    if isinstance(event, ComplaintReceived):
        await record_acknowledgement(event, ctx, webhook_url=routing.ack_webhook_url,
                                     limits=routing.rulebook.time_limits)
    urgent = await people.record_for_people(ctx.uow, event, ctx.envelope.id, facts, routing)
    if urgent and routing.wake:
        # After commit: woken earlier, the worker would look before the new row is visible.
        ctx.uow.after_commit(routing.wake)


async def record_acknowledgement(event: ComplaintReceived, ctx: HandlerContext, *, webhook_url: str | None,
                                 limits: TimeLimits) -> None:
    """One acknowledgement per received complaint (by rule and event), if a webhook is configured."""
    if not webhook_url:
        return
    await ledger.record(ctx.uow, complaint_id=event.complaint_id, rule=ACK_RULE, event_id=ctx.envelope.id,
                        channel="webhook", recipient=webhook_url, recipient_kind="channel_system",
                        template="acknowledgement",
                        body=acknowledgement_body(event, ctx.envelope.id, ctx.uow.clock.now(), limits))


def _learnt(event: Event) -> dict:
    """The attributes an event states about its complaint."""
    if isinstance(event, ComplaintReceived):
        return {"branch_code": event.branch_code, "reference": event.reference, "language": event.language,
                "received_at": event.received_at}
    if isinstance(event, ComplaintClassified):
        return {"business_line": event.business_line, "severity": event.severity}
    if isinstance(event, ComplaintReclassified):
        return {k: v for k, v in {"business_line": event.business_line, "severity": event.severity}.items() if v}
    if isinstance(event, CaseAssigned):
        return {k: v for k, v in {"assignee": event.assignee, "branch_code": event.org_code}.items() if v}
    return {}


async def remember_facts(event: Event, uow: UnitOfWork) -> dict:
    """Merge what the event says into the complaint's known attributes and return them all."""
    learnt = _learnt(event)
    if learnt:
        values = {"complaint_id": event.complaint_id, "updated_at": uow.clock.now(), **learnt}
        statement = upsert_insert(uow.session.bind, complaints).values(**values)
        await uow.session.execute(statement.on_conflict_do_update(
            index_elements=[complaints.c.complaint_id], set_={k: statement.excluded[k] for k in values}))
    row = (await uow.session.execute(
        select(complaints).where(complaints.c.complaint_id == event.complaint_id))).mappings().first()
    return {k: row[k] for k in FACTS} if row else {}


async def fan_out(event: Event, ctx: HandlerContext, facts: rules.Facts) -> None:
    """One notification for every enabled subscription whose filters accept the event."""
    subscriptions = (await ctx.uow.session.execute(select(webhooks).where(webhooks.c.enabled.is_(True)))).mappings()
    body = cloudevent_body(event, ctx.envelope)
    for sub in subscriptions:
        if rules.matches(sub, facts):
            await ledger.record(ctx.uow, complaint_id=event.complaint_id, rule=f"webhook:{sub['id']}",
                                event_id=ctx.envelope.id, channel="webhook", recipient=sub["url"],
                                recipient_kind="subscriber", template=event.type, body=body,
                                subscription_id=sub["id"])
