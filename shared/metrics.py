"""Prometheus metrics shared by every process (one registry; ``service`` labels tell them apart)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter(
    "kesu_events_handled_total",
    "Events taken from the bus by a consumer, by outcome",
    ["consumer", "type", "outcome"],
)
EVENT_RETRIES = Counter("kesu_event_retries_total", "Handler attempts that failed and were retried", ["consumer"])
EVENT_SECONDS = Histogram(
    "kesu_event_handling_seconds", "Time to handle one event, retries included", ["consumer"]
)
CONSUMER_LAG = Gauge(
    "kesu_consumer_lag", "Messages published but not yet fetched", ["consumer", "topic", "partition"]
)
OUTBOX_BACKLOG = Gauge("kesu_outbox_backlog", "Outbox rows waiting for the relay", ["service"])
OUTBOX_PUBLISHED = Counter("kesu_outbox_published_total", "Outbox rows published to the bus", ["service"])
HTTP_SECONDS = Histogram(
    "kesu_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
COMPLAINTS_RECEIVED = Counter("kesu_complaints_received_total", "Complaints accepted by intake", ["channel"])
SLA_CLOCKS = Gauge("kesu_sla_clocks", "SLA clocks by state", ["state"])
NOTIFICATIONS = Counter(
    "kesu_notifications_total", "Notification deliveries by channel and outcome", ["channel", "outcome"]
)
