"""SLA tracker's routing table."""

from __future__ import annotations

from functools import partial

from shared.consumer import Routes
from shared.events import CaseStatusChanged, ComplaintReceived
from sla_tracker import handlers
from sla_tracker.settings import SlaSettings

STREAMS = ["complaint-events", "classification-events", "case-events"]


def routes(settings: SlaSettings) -> Routes:
    """Handlers bound to the configured time zone and warning levels."""
    return {
        ComplaintReceived: partial(handlers.start_decision_clock, tz=settings.timezone, levels=settings.warning_levels),
        CaseStatusChanged: handlers.on_case_status_changed,
    }
