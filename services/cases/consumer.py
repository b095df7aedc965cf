"""The cases service's routing table."""

from __future__ import annotations

from functools import partial

from services.cases import handlers
from services.cases.assignment import AssignmentRules
from services.cases.settings import CasesSettings
from shared.consumer import Routes
from shared.events import (ComplaintClassified, ComplaintDuplicateLinked, ComplaintReceived, NotificationFailed,
                           NotificationSent, SlaBreached, SlaClockStarted, SlaClockStopped, SlaEscalated,
                           SlaWarningIssued)

# Every upstream stream; our own case-events are recorded on the timeline when they are written.
STREAMS = ["complaint-events", "classification-events", "sla-events", "notification-events"]


def routes(settings: CasesSettings, rules: AssignmentRules) -> Routes:
    """Handlers bound to the settings and assignment rules."""
    return {
        ComplaintReceived: partial(handlers.on_received, settings=settings, rules=rules),
        ComplaintDuplicateLinked: handlers.on_duplicate_linked,
        ComplaintClassified: partial(handlers.on_classified, settings=settings, rules=rules),
        SlaClockStarted: handlers.on_clock_started,
        SlaWarningIssued: handlers.on_warning,
        SlaBreached: handlers.on_breached,
        SlaEscalated: handlers.on_other,
        SlaClockStopped: handlers.on_clock_stopped,
        NotificationSent: handlers.on_other,
        NotificationFailed: handlers.on_other,
    }
