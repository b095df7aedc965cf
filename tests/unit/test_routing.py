"""Routing tables: every handled event arrives on a stream the consumer subscribes to."""

from __future__ import annotations

import pytest

from classifier import consumer as classifier_consumer
from intake import consumer as intake_consumer
from notifier import consumer as notifier_consumer
from notifier.settings import NotifierSettings
from shared.events import EVENT_TYPES
from sla_tracker import consumer as sla_consumer
from sla_tracker.settings import SlaSettings

TABLES = {
    "intake": (intake_consumer.STREAMS, intake_consumer.ROUTES),
    "classifier": (classifier_consumer.STREAMS, classifier_consumer.ROUTES),
    "sla_tracker": (sla_consumer.STREAMS, sla_consumer.routes(SlaSettings())),
    "notifier": (notifier_consumer.STREAMS, notifier_consumer.routes(NotifierSettings())),
}
OWN_STREAM = {
    "intake": "complaint-events", "classifier": "classification-events",
    "sla_tracker": "sla-events", "notifier": "notification-events",
}


@pytest.mark.parametrize("service", TABLES)
def test_every_routed_event_comes_on_a_subscribed_stream(service):
    streams, routes = TABLES[service]
    for event_type in routes:
        assert event_type.stream in streams, f"{service} routes {event_type.__name__} but does not read {event_type.stream}"


@pytest.mark.parametrize("service", TABLES)
def test_routes_name_only_catalogued_events_with_callable_handlers(service):
    _, routes = TABLES[service]
    for event_type, handler in routes.items():
        assert EVENT_TYPES[event_type.type] is event_type
        assert callable(handler)


@pytest.mark.parametrize("service", TABLES)
def test_no_service_consumes_its_own_stream(service):
    streams, _ = TABLES[service]
    assert OWN_STREAM[service] not in streams


def test_the_pipeline_is_wired_end_to_end():
    assert EVENT_TYPES["kesu.complaint.received.v1"] in classifier_consumer.ROUTES
    assert EVENT_TYPES["kesu.complaint.classified.v1"] in intake_consumer.ROUTES
    assert EVENT_TYPES["kesu.sla.clock_started.v1"] in intake_consumer.ROUTES
