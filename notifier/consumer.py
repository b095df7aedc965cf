"""Notifier's routing table."""

from __future__ import annotations

from functools import partial

from notifier import handlers, people
from notifier.channels import Channels
from notifier.people import Routing
from notifier.settings import NotifierSettings
from shared.consumer import Routes
from shared.events import EVENT_TYPES, NotificationFailed, NotificationSent

# Every upstream stream: rules and subscribers may ask for any event type. Our own stream is left
# out, so a notification about a notification cannot loop.
STREAMS = ["complaint-events", "classification-events", "case-events", "sla-events"]


def routes(settings: NotifierSettings, routing: Routing | None = None) -> Routes:
    """One handler for every upstream event type, bound to the rules and channels in force."""
    routing = routing or people.routing_for(settings, Channels(settings, contacts=None).enabled())
    handler = partial(handlers.handle_event, routing=routing)
    own = {NotificationSent, NotificationFailed}
    return {model: handler for model in EVENT_TYPES.values() if model not in own and model.stream in STREAMS}
