"""The statuses the SLA presets react to are statuses the case workflow emits, and intake's codes select them."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from intake.schemas import Authority
from services.cases.transitions import Status
from sla_tracker.handlers import CLASSIFIED
from sla_tracker.policies import load_book

BOOK = load_book()
EMITTED = {s.value for s in Status} | {CLASSIFIED}
TODAY = date(2026, 12, 3)
# Policies a default installation selects for some complaint (the internal bank-* examples are opt-in).
SELECTED = sorted({p for rule in BOOK.rules for p in rule.policies})


@pytest.mark.parametrize("policy_id", SELECTED)
def test_every_clock_of_a_selected_preset_starts_and_stops_on_statuses_the_workflow_emits(policy_id):
    policy = BOOK.get(policy_id, on=TODAY)
    for clock in policy.clocks:
        if clock.informational and clock.start_on not in EMITTED | {"received"}:
            continue  # a window only an integration reports; it never starts on its own
        assert clock.start_on in EMITTED | {"received"}, (policy_id, clock.name, clock.start_on)
        # Closure stops everything; a clock that only closure stops would breach on every long case.
        stops = (set(clock.stop_on) | set(policy.stop_statuses)) - {"closed", "withdrawn"}
        assert stops & EMITTED, (policy_id, clock.name, sorted(stops))
    assert (policy.pause_statuses - EMITTED) <= {"hearing"}, policy.pause_statuses


@pytest.mark.parametrize(("authority", "policy_id"), [("PBOC", "cn-pboc-2020"), ("petition_office", "cn-petition-2022")])
def test_intake_authority_codes_select_their_regulators_presets(authority, policy_id):
    assert authority in get_args(Authority)
    assert policy_id in BOOK.select({"jurisdiction": "CN", "regulator_authority": authority})
