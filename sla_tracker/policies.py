"""Deadline policies and their selection rules (pure), loaded from versioned data files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

Unit = Literal["calendar_days", "working_days", "hours", "weeks"]
SELECTION_ATTRIBUTES = ("jurisdiction", "channel", "regulator_authority", "business_line", "branch_code", "region_code")


@dataclass(frozen=True)
class EscalationStep:
    """At ``level`` percent of the allowed time, escalate to a role."""

    level: int
    to: str


@dataclass(frozen=True)
class ClockDef:
    """One named clock of a policy: how long, counted how, started and stopped by what."""

    name: str
    unit: Unit
    amount: int
    start_on: str = "received"
    complex_amount: int | None = None
    max_amount: int | None = None
    approval_required_above: int | None = None
    applies_to: Literal["all", "complex"] = "all"
    stop_on: tuple[str, ...] = ()
    informational: bool = False
    report_legal_latest: bool = False
    count_start_day: bool = False
    citation: str = ""
    variants: tuple[dict, ...] = ()

    @property
    def day_type(self) -> str:
        """How the clock counts: calendar days, working days or hours."""
        return {"weeks": "calendar_days"}.get(self.unit, self.unit)

    def for_business_line(self, business_line: str | None) -> ClockDef:
        """The clock as it applies to a business line (e.g. UK payment services)."""
        for variant in self.variants:
            if business_line in variant["business_lines"]:
                changes = {k: v for k, v in variant.items() if k != "business_lines"}
                return replace(self, variants=(), **changes)
        return self

    def base_amount(self, complexity: str | None) -> int:
        """The allowed amount before any granted extension."""
        if complexity == "complex" and self.complex_amount is not None:
            return self.complex_amount
        return self.amount


@dataclass(frozen=True)
class Policy:
    """A versioned set of clocks with its calendar, thresholds and case-status mapping."""

    id: str
    version: str
    effective_from: date
    calendar: str
    title: str
    clocks: tuple[ClockDef, ...]
    warning_levels: tuple[int, ...] = (50, 80)
    escalation: tuple[EscalationStep, ...] = ()
    pause_statuses: frozenset[str] = frozenset()
    stop_statuses: frozenset[str] = frozenset()
    restart_statuses: frozenset[str] = frozenset()

    def clock(self, name: str) -> ClockDef:
        """The clock of that name."""
        return next(c for c in self.clocks if c.name == name)

    def thresholds(self) -> list[int]:
        """Every level at which something is emitted, ascending; 100 is the breach."""
        return sorted({*self.warning_levels, 100, *(step.level for step in self.escalation)})


@dataclass(frozen=True)
class SelectionRule:
    """When every listed attribute matches, these policies run."""

    when: dict[str, frozenset[str]]
    policies: tuple[str, ...]

    def matches(self, attrs: dict[str, str | None]) -> bool:
        """True when every condition holds."""
        return all(attrs.get(key) in values for key, values in self.when.items())


@dataclass(frozen=True)
class PolicyBook:
    """Every policy version and the selection rules."""

    policies: dict[str, tuple[Policy, ...]]
    rules: tuple[SelectionRule, ...] = field(default_factory=tuple)

    def get(self, policy_id: str, on: date | None = None, version: str | None = None) -> Policy:
        """The version in force on a date (or the named version); KeyError when none."""
        versions = self.policies[policy_id]
        if version is not None:
            return next(p for p in versions if p.version == version)
        in_force = [p for p in versions if on is None or p.effective_from <= on]
        if not in_force:
            raise KeyError(f"{policy_id} is not in force on {on}")
        return max(in_force, key=lambda p: p.effective_from)

    def select(self, attrs: dict[str, str | None]) -> list[str]:
        """Policy ids whose rules match, in rule order, without duplicates."""
        chosen: list[str] = []
        for rule in self.rules:
            if rule.matches(attrs):
                chosen += [p for p in rule.policies if p not in chosen]
        return chosen


def _clock(data: dict) -> ClockDef:
    data = dict(data)
    data["stop_on"] = tuple(data.get("stop_on", ()))
    data["variants"] = tuple(data.get("variants", ()))
    return ClockDef(**data)


def _policy(data: dict, defaults: dict) -> Policy:
    merged = {**defaults, **data}
    return Policy(
        id=merged["id"], version=merged["version"], calendar=merged["calendar"], title=merged["title"],
        effective_from=date.fromisoformat(merged["effective_from"]),
        clocks=tuple(_clock(c) for c in merged["clocks"]),
        warning_levels=tuple(merged["warning_levels"]),
        escalation=tuple(EscalationStep(**s) for s in merged["escalation"]),
        pause_statuses=frozenset(merged["pause_statuses"]),
        stop_statuses=frozenset(merged["stop_statuses"]),
        restart_statuses=frozenset(merged["restart_statuses"]),
    )


def _rule(data: dict) -> SelectionRule:
    unknown = set(data["when"]) - set(SELECTION_ATTRIBUTES)
    if unknown:
        raise ValueError(f"selection rule names unknown attributes: {sorted(unknown)}")
    return SelectionRule(when={k: frozenset(v) for k, v in data["when"].items()}, policies=tuple(data["policies"]))


def parse_book(policies: dict, selection: dict) -> PolicyBook:
    """A policy book from the JSON documents; rules naming unknown policies are rejected."""
    book: dict[str, list[Policy]] = {}
    for item in policies["policies"]:
        policy = _policy(item, policies.get("defaults", {}))
        book.setdefault(policy.id, []).append(policy)
    rules = tuple(_rule(r) for r in selection["rules"])
    missing = {p for rule in rules for p in rule.policies} - set(book)
    if missing:
        raise ValueError(f"selection rules name unknown policies: {sorted(missing)}")
    return PolicyBook(policies={k: tuple(v) for k, v in book.items()}, rules=rules)


def load_book(policy_file: Path | None = None, selection_file: Path | None = None) -> PolicyBook:
    """The packaged policy book, or one from the given files (settings may point elsewhere)."""
    data = resources.files("sla_tracker") / "data"
    policies = json.loads((policy_file or data / "policies.json").read_text(encoding="utf-8"))
    selection = json.loads((selection_file or data / "selection.json").read_text(encoding="utf-8"))
    return parse_book(policies, selection)
