"""Rules as data: which event reaches whom by which channel, loaded from YAML and validated at start-up."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.events import EVENT_TYPES, Event, NotificationFailed, NotificationSent

Channel = Literal["email", "sms", "in_app", "webhook"]
ROLES = ("team_lead", "branch_head", "complaint_officer", "duty_officer")
Recipient = Literal["complainant", "assignee", "team_lead", "branch_head", "complaint_officer", "duty_officer",
                    "escalation_target", "subscriber"]
CUSTOMER_CHANNELS = {"email", "sms"}
# Raised inside the notifier (not a bus event), so operators can route the alert like any other.
INTERNAL_EVENTS = ("WebhookSubscriptionDisabled",)
ANY = "*"  # every event on the bus (not the internal ones)


def event_names() -> set[str]:
    """Event names a rule may name: every upstream event type plus the notifier's internal ones."""
    own = {NotificationSent, NotificationFailed}
    return {model.__name__ for model in EVENT_TYPES.values() if model not in own} | set(INTERNAL_EVENTS)


class RulebookError(ValueError):
    """The rules file is missing, not YAML, or fails validation; the message names each bad field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """Extra tests on the event; every condition given must hold."""

    flags_any: list[str] = Field(default_factory=list)
    flags_all: list[str] = Field(default_factory=list)
    severity_in: list[str] = Field(default_factory=list)
    to_status_in: list[str] = Field(default_factory=list)
    min_group_size: int | None = Field(default=None, ge=2)

    def accepts(self, event: Event) -> bool:
        """True when the event satisfies every condition that is set (a missing attribute fails)."""
        flags = set(getattr(event, "flags", None) or ())
        checks = [
            not self.flags_any or bool(flags & set(self.flags_any)),
            not self.flags_all or set(self.flags_all) <= flags,
            not self.severity_in or getattr(event, "severity", None) in self.severity_in,
            not self.to_status_in or getattr(event, "to_status", None) in self.to_status_in,
            self.min_group_size is None or getattr(event, "group_size", 0) >= self.min_group_size,
        ]
        return all(checks)


class Rule(Strict):
    """One routing rule: on these events (when the conditions hold), to these recipients, by these channels."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")
    events: list[str] = Field(min_length=1)
    when: Condition = Field(default_factory=Condition)
    to: list[Recipient] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    template: str | None = None
    # Urgent rules wake the delivery worker at once instead of waiting for its next poll.
    urgent: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        unknown = sorted(set(self.events) - event_names() - {ANY})
        if unknown:
            raise ValueError(f"unknown event(s) {unknown}; known: {sorted(event_names())}")
        webhook = "subscriber" in self.to or "webhook" in self.channels
        if webhook and (set(self.to) != {"subscriber"} or set(self.channels) != {"webhook"}):
            raise ValueError("'subscriber' goes only with the 'webhook' channel, and only alone")
        if "complainant" in self.to and (set(self.to) != {"complainant"} or set(self.channels) - CUSTOMER_CHANNELS):
            raise ValueError("a complainant rule names only the complainant, by email and/or sms")
        if not webhook and not self.template:
            raise ValueError("a template is required (except for webhook subscribers)")
        if self.template and ("complainant" in self.to) != self.template.startswith("customer_"):
            raise ValueError("complainant rules use customer_* templates, and only they do")
        return self


class TimeLimits(Strict):
    """The statutory time limit the customer acknowledgement states, with its citation."""

    policy: str
    decision_days: int = Field(gt=0)
    complex_days: int = Field(gt=0)
    max_days: int = Field(gt=0)
    citation: dict[Literal["zh", "en"], str]


class Rulebook(Strict):
    """The whole rules file."""

    version: int
    time_limits: TimeLimits
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_ids(self) -> Rulebook:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique: {duplicates}")
        return self

    def matching(self, event: Event) -> list[Rule]:
        """The rules that fire for this event."""
        name = type(event).__name__
        on_bus = name not in INTERNAL_EVENTS
        return [rule for rule in self.rules
                if (name in rule.events or (on_bus and ANY in rule.events)) and rule.when.accepts(event)]

    def wants_subscribers(self, event: Event) -> bool:
        """True when some rule sends this event to webhook subscriptions."""
        return any("subscriber" in rule.to for rule in self.matching(event))

    def templates(self) -> set[str]:
        """Every template the rules name."""
        return {rule.template for rule in self.rules if rule.template}


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


def parse(text: str, source: str) -> Rulebook:
    """Validate rules YAML; RulebookError lists every problem with its field path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return Rulebook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_field(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RulebookError(f"{source}: invalid notification rules: {problems}") from exc


def load(path: str | None = None) -> Rulebook:
    """The rules file a setting points to, or the packaged notifier/data/rules.yaml."""
    if path is None:
        return parse(resources.files("notifier.data").joinpath("rules.yaml").read_text("utf-8"), "rules.yaml")
    try:
        return parse(Path(path).read_text("utf-8"), path)
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read the notification rules: {exc}") from exc
