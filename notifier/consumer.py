"""Notifier's routing table."""

from __future__ import annotations

from functools import partial

from notifier import handlers
from notifier.settings import NotifierSettings
from shared.consumer import Routes
from shared.events import EVENT_TYPES, NotificationFailed, NotificationSent

# Every upstream stream: subscribers may ask for any event type. Our own stream is left out,
# so a notification about a notification cannot loop.
STREAMS = ["complaint-events", "classification-events", "case-events", "sla-events"]


def routes(settings: NotifierSettings) -> Routes:
    """One handler for every upstream event type, bound to the configured acknowledgement URL."""
    handler = partial(handlers.handle_event, ack_webhook_url=settings.ack_webhook_url)
    own = {NotificationSent, NotificationFailed}
    return {model: handler for model in EVENT_TYPES.values() if model not in own and model.stream in STREAMS}
