"""Pure rules: subscription filters, signing secrets during rotation, retry budget, disabling."""

from datetime import datetime, timedelta, timezone

from notifier import rules
from notifier.webhook import _retry_after

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


def subscription(**overrides) -> dict:
    base = dict(enabled=True, event_types=[], business_lines=[], branches=[], severities=[],
                secret="new", previous_secret=None, previous_secret_expires_at=None)
    return base | overrides


def test_empty_filters_accept_every_event():
    assert rules.matches(subscription(), rules.Facts("kesu.sla.breached.v1"))


def test_every_filter_must_accept():
    sub = subscription(event_types=["kesu.sla.breached.v1"], branches=["B1"], severities=["high"])
    assert rules.matches(sub, rules.Facts("kesu.sla.breached.v1", branch_code="B1", severity="high"))
    assert not rules.matches(sub, rules.Facts("kesu.sla.breached.v1", branch_code="B2", severity="high"))
    assert not rules.matches(sub, rules.Facts("kesu.sla.warning_issued.v1", branch_code="B1", severity="high"))


def test_a_set_filter_rejects_an_attribute_not_yet_known():
    assert not rules.matches(subscription(business_lines=["cards"]), rules.Facts("kesu.complaint.received.v1"))


def test_a_disabled_subscription_matches_nothing():
    assert not rules.matches(subscription(enabled=False), rules.Facts("kesu.sla.breached.v1"))


def test_both_secrets_sign_during_the_grace_period_only():
    rotating = subscription(previous_secret="old", previous_secret_expires_at=NOW + timedelta(hours=1))
    assert rules.signing_secrets(rotating, NOW) == ["new", "old"]
    assert rules.signing_secrets(rotating, NOW + timedelta(hours=2)) == ["new"]


def test_redelivery_gives_a_fresh_retry_budget():
    assert rules.attempts_exhausted(6, 0, 6)
    assert not rules.attempts_exhausted(7, 6, 6)


def test_disabling_needs_a_long_enough_streak_and_zero_means_never():
    assert rules.should_disable(3, 3) and not rules.should_disable(2, 3)
    assert not rules.should_disable(1000, 0)


def test_retry_after_accepts_seconds_and_http_dates():
    assert _retry_after("120") == 120.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _retry_after("soon") is None
