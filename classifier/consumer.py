"""Classifier's routing table."""

from __future__ import annotations

from classifier import handlers
from shared.consumer import Routes
from shared.events import ComplaintReceived

STREAMS = ["complaint-events"]

ROUTES: Routes = {ComplaintReceived: handlers.classify_complaint}
