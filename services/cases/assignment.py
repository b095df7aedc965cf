"""Assignment rules as data (pure): which team gets a case, and which member of the team."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

Strategy = Literal["least_loaded", "round_robin"]


@dataclass(frozen=True)
class TeamChoice:
    """The team a case goes to, the org unit that team belongs to, and why."""

    team: str
    org_code: str | None
    reason: str


@dataclass(frozen=True)
class Rule:
    """Branch (exact, or prefix ending in ``*``) and business line (or ``*``) -> team."""

    branch: str
    business_line: str
    team: str
    org_code: str | None = None

    def matches(self, branch: str | None, business_line: str | None) -> bool:
        """True when both patterns accept the case's branch and business line."""
        return _match(self.branch, branch) and _match(self.business_line, business_line)


@dataclass(frozen=True)
class Designated:
    """The team for high-severity and flagged cases."""

    team: str
    org_code: str | None
    severities: frozenset[str]
    flags: frozenset[str]


@dataclass(frozen=True)
class AssignmentRules:
    """Every rule, the designated team and the strategy within a team."""

    rules: tuple[Rule, ...]
    designated: Designated | None
    strategy: Strategy = "least_loaded"

    def team_for(self, *, branch: str | None, business_line: str | None, severity: str | None,
                 flags: Iterable[str]) -> TeamChoice | None:
        """The team a classified case goes to, or None when no rule matches."""
        special = self.designated
        if special and (severity in special.severities or special.flags & set(flags)):
            return TeamChoice(special.team, special.org_code, f"designated team: severity {severity}, "
                              f"flags {sorted(special.flags & set(flags))}")
        for rule in self.rules:
            if rule.matches(branch, business_line):
                return TeamChoice(rule.team, rule.org_code,
                                  f"rule: branch {rule.branch} + business line {rule.business_line}")
        return None


def _match(pattern: str, value: str | None) -> bool:
    if pattern == "*":
        return True
    if value is None:
        return False
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


def load_rules(path: Path) -> AssignmentRules:
    """Read the rules file (see services/cases/data/assignment.yaml for its format)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    special = data.get("designated")
    designated = Designated(special["team"], special.get("org_code"), frozenset(special.get("severities", ())),
                            frozenset(special.get("flags", ()))) if special else None
    rules = tuple(Rule(str(r["branch"]), str(r["business_line"]), r["team"], r.get("org_code"))
                  for r in data.get("rules", ()))
    strategy = data.get("strategy", "least_loaded")
    if strategy not in ("least_loaded", "round_robin"):
        raise ValueError(f"{path}: unknown strategy {strategy!r}")
    return AssignmentRules(rules=rules, designated=designated, strategy=strategy)


def pick_member(members: list[str], *, strategy: Strategy, loads: Mapping[str, int],
                last: str | None) -> str | None:
    """The member who gets the next case: fewest open cases, or the one after ``last``."""
    ordered = sorted(members)
    if not ordered:
        return None
    if strategy == "least_loaded":
        return min(ordered, key=lambda name: (loads.get(name, 0), name))
    later = [name for name in ordered if last is None or name > last]
    return (later or ordered)[0]
