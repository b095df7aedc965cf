"""Notifier's routing table."""

from __future__ import annotations

from functools import partial

from notifier import handlers
from notifier.settings import NotifierSettings
from shared.consumer import Routes
from shared.events import ComplaintReceived

STREAMS = ["complaint-events"]


def routes(settings: NotifierSettings) -> Routes:
    """Handlers bound to the configured recipients."""
    return {ComplaintReceived: partial(handlers.record_acknowledgement, webhook_url=settings.ack_webhook_url)}
