"""Notifications for people: rules pick recipients and channels; each message is rendered when recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import structlog

from notifier import directory, ledger, rendering, rulebook, sms
from notifier.rulebook import ROLES, Rule, Rulebook
from notifier.settings import NotifierSettings
from shared.events import Event
from shared.uow import UnitOfWork

log = structlog.get_logger()
COMPLAINANT = "complainant"


@dataclass(frozen=True)
class Routing:
    """How events become notifications: the rules, the channels configured, and the quiet hours."""

    rulebook: Rulebook
    channels: frozenset[str] = frozenset({"in_app", "webhook"})
    timezone: str = "Asia/Shanghai"
    quiet_hours: tuple[time, time] = (time(21), time(8))
    sms_max_parts: int = 3
    ack_webhook_url: str | None = None
    # Called after an urgent notification is recorded, so the delivery worker starts at once.
    wake: Callable[[], None] | None = field(default=None, compare=False)


def routing_for(settings: NotifierSettings, channels: frozenset[str],
                wake: Callable[[], None] | None = None) -> Routing:
    """Load and check the rules (a bad file or a missing template stops start-up with the reason)."""
    book = rulebook.load(settings.notifier_rules_file)
    rendering.check(book)
    return Routing(rulebook=book, channels=channels, timezone=settings.timezone,
                   quiet_hours=(settings.sms_quiet_start, settings.sms_quiet_end),
                   sms_max_parts=settings.sms_max_parts, ack_webhook_url=settings.ack_webhook_url, wake=wake)


@dataclass(frozen=True)
class Target:
    """One person to notify: the complainant (contact fetched at delivery) or a directory entry."""

    kind: str
    username: str | None = None
    name: str = ""
    language: str = "zh"
    email: str | None = None
    phone: str | None = None

    def address(self, channel: str) -> str | None:
        """Where this channel reaches the person; the complainant's is resolved only at delivery."""
        if self.kind == COMPLAINANT:
            return COMPLAINANT
        return {"in_app": self.username, "email": self.email, "sms": self.phone}.get(channel)


async def record_for_people(uow: UnitOfWork, event: Event, event_id: str, facts: dict, routing: Routing) -> bool:
    """Record every notification the rules ask for; True when an urgent one was recorded."""
    urgent = False
    for rule in routing.rulebook.matching(event):
        if "subscriber" in rule.to:
            continue  # webhooks: fanned out by subscription filters
        for recipient in rule.to:
            for target in await targets(uow, recipient, event, facts):
                for channel in (c for c in rule.channels if c in routing.channels):
                    recorded = await _record(uow, rule, channel, recipient, target, event, event_id, facts, routing)
                    urgent |= recorded and rule.urgent
    return urgent


async def targets(uow: UnitOfWork, recipient: str, event: Event, facts: dict) -> list[Target]:
    """Who a rule's recipient means for this event and complaint."""
    if recipient == COMPLAINANT:
        return [Target(COMPLAINANT, language=facts.get("language") or "zh")]
    if recipient == "assignee":
        username = getattr(event, "assignee", None) or facts.get("assignee")
        entry = username and await directory.get(uow, username)
        rows = [entry] if entry else []
    else:
        role = getattr(event, "escalate_to", None) if recipient == "escalation_target" else recipient
        rows = await directory.holders(uow, role, facts.get("branch_code")) if role in ROLES else []
    if not rows:
        log.warning("no recipient found", recipient=recipient, complaint_id=event.complaint_id,
                    branch=facts.get("branch_code"), event_type=type(event).__name__)
    return [Target(recipient, r["username"], r["display_name"], r["language"], r["email"], r["phone"]) for r in rows]


async def _record(uow: UnitOfWork, rule: Rule, channel: str, recipient: str, target: Target, event: Event,
                  event_id: str, facts: dict, routing: Routing) -> bool:
    address = target.address(channel)
    if not address:
        log.warning("recipient has no address for channel", username=target.username, channel=channel, rule=rule.id)
        return False
    now = uow.clock.now()
    due = now
    if target.kind == COMPLAINANT and channel == "sms":
        due = sms.quiet_until(now, routing.timezone, *routing.quiet_hours) or now
    key = ":".join(filter(None, (rule.id, channel, recipient, target.username)))
    return await ledger.record(uow, complaint_id=event.complaint_id, rule=key, event_id=event_id, channel=channel,
                               recipient=address, recipient_kind=recipient, template=rule.template,
                               body=content(rule, channel, target, event, facts, routing), next_attempt_at=due)


def content(rule: Rule, channel: str, target: Target, event: Event, facts: dict, routing: Routing) -> dict:
    """The rendered message as this channel carries it (SMS fitted to the part limit)."""
    if target.kind == COMPLAINANT:
        view = rendering.customer_view(facts, routing.rulebook.time_limits, target.language, routing.timezone,
                                       extension_days=getattr(event, "extra_days", None),
                                       status=getattr(event, "to_status", None))
        rendered = rendering.render_customer(rule.template, target.language, view)
    else:
        context = staff_context(event, facts, target, urgent=rule.urgent, zone=routing.timezone)
        rendered = rendering.render_staff(rule.template, target.language, context)
    if channel == "sms":
        return sms.fit(rendered.sms, routing.sms_max_parts).as_dict()
    if channel == "in_app":
        return {"subject": rendered.subject, "text": rendered.text}
    return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}


def staff_context(event: Event, facts: dict, target: Target, *, urgent: bool, zone: str) -> dict:
    """What staff templates see: the event (times in local time) and the complaint's known attributes."""
    fields = {name: _local(value, zone) for name, value in event.model_dump(mode="python").items()}
    return dict(event_type=type(event).__name__, complaint_id=event.complaint_id, reference=facts.get("reference"),
                branch=facts.get("branch_code"), severity=facts.get("severity"),
                business_line=facts.get("business_line"), recipient_name=target.name or target.username,
                urgent=urgent, fields=fields)


def _local(value: object, zone: str) -> object:
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    return value
