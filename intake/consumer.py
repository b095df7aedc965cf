"""Intake's routing table: it follows classification and SLA events to answer status queries."""

from __future__ import annotations

from intake import readmodel
from shared.consumer import Routes
from shared.events import ComplaintClassified, SlaBreached, SlaClockStarted, SlaClockStopped

STREAMS = ["classification-events", "sla-events"]

ROUTES: Routes = {
    ComplaintClassified: readmodel.record_classification,
    SlaClockStarted: readmodel.record_clock_started,
    SlaBreached: readmodel.record_breach,
    SlaClockStopped: readmodel.record_clock_stopped,
}
