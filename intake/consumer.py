"""Intake's routing table: it follows classification and SLA events to answer status queries."""

from __future__ import annotations

from intake import handlers
from shared.consumer import Routes
from shared.events import ComplaintClassified, SlaBreached, SlaClockStarted, SlaClockStopped

STREAMS = ["classification-events", "sla-events"]

ROUTES: Routes = {
    ComplaintClassified: handlers.record_classification,
    SlaClockStarted: handlers.record_clock_started,
    SlaBreached: handlers.record_breach,
    SlaClockStopped: handlers.record_clock_stopped,
}
