"""SLA tracker's routing table."""

from __future__ import annotations

from functools import partial

from shared.consumer import Routes
from shared.events import CaseStatusChanged, ComplaintClassified, ComplaintReceived, ComplaintReclassified, ExtensionGranted
from sla_tracker import handlers
from sla_tracker.lifecycle import Rules

STREAMS = ["complaint-events", "classification-events", "case-events"]


def routes(rules: Rules) -> Routes:
    """Handlers bound to the policy book and calendars."""
    return {
        ComplaintReceived: partial(handlers.on_received, rules=rules),
        ComplaintClassified: partial(handlers.on_classified, rules=rules),
        ComplaintReclassified: partial(handlers.on_reclassified, rules=rules),
        CaseStatusChanged: partial(handlers.on_status_changed, rules=rules),
        ExtensionGranted: partial(handlers.on_extension_granted, rules=rules),
    }
