"""Pure rules: which webhook subscriptions an event reaches, and which secrets sign a delivery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


FILTERED = ("branch_code", "business_line", "severity")


@dataclass(frozen=True)
class Facts:
    """What is known about an event's complaint when the event is handled."""

    event_type: str
    branch_code: str | None = None
    business_line: str | None = None
    severity: str | None = None


def _allows(allowed: Sequence[str], value: str | None) -> bool:
    # An empty filter means "any"; a set filter never matches an attribute not yet known,
    # because sending a branch's subscriber another branch's complaint is worse than waiting.
    return not allowed or value in allowed


def matches(subscription: Mapping, facts: Facts) -> bool:
    """True when an enabled subscription's filters all accept the event."""
    return bool(subscription["enabled"]) and all((
        _allows(subscription["event_types"], facts.event_type),
        _allows(subscription["branches"], facts.branch_code),
        _allows(subscription["business_lines"], facts.business_line),
        _allows(subscription["severities"], facts.severity),
    ))


def signing_secrets(subscription: Mapping, now: datetime) -> list[str]:
    """The current secret, then the previous one while its rotation grace period lasts."""
    secrets = [subscription["secret"]]
    expires = subscription["previous_secret_expires_at"]
    if subscription["previous_secret"] and expires and expires > now:
        secrets.append(subscription["previous_secret"])
    return secrets


def attempts_exhausted(attempts: int, retry_base: int, max_attempts: int) -> bool:
    """True when the attempts since the last manual redelivery use up the retry budget."""
    return attempts - retry_base >= max_attempts


def should_disable(consecutive_failures: int, threshold: int) -> bool:
    """True when a subscription has failed so often in a row that it is presumed dead."""
    return threshold > 0 and consecutive_failures >= threshold
