"""An AsyncAPI 3 document generated from the event catalogue in ``shared/events.py``."""

from __future__ import annotations

from collections import defaultdict

from shared.config import TOPIC_NAMES
from shared.events import EVENT_TYPES, Event

PUBLISHERS = {
    "complaint-events": "intake",
    "classification-events": "classifier",
    "case-events": "cases",
    "sla-events": "sla_tracker",
    "notification-events": "notifier",
}

_HEADERS = {
    "type": "object",
    "required": ["ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_specversion", "correlation_id"],
    "properties": {
        "ce_id": {"type": "string", "description": "Unique event id (UUID)."},
        "ce_source": {"type": "string", "description": "Publishing service, e.g. kesu/intake."},
        "ce_type": {"type": "string", "description": "Event type and version, e.g. kesu.complaint.received.v1."},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The complaint id; also the Kafka key."},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "content-type": {"type": "string", "const": "application/json"},
        "correlation_id": {"type": "string", "description": "Id of the first event of the chain."},
        "causation_id": {"type": "string", "description": "Id of the event that caused this one."},
    },
}


def _message_name(model: type[Event]) -> str:
    return model.__name__ + "V1"


def _message(model: type[Event]) -> dict:
    payload = model.model_json_schema(ref_template="#/components/schemas/{model}")
    payload.pop("$defs", None)  # hoisted into components/schemas
    return {
        "name": model.type,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip(),
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
        "payload": payload,
    }


def document(topic_prefix: str = "kesu.") -> dict:
    """The AsyncAPI 3.0 document for every Kesu topic and event."""
    by_stream: dict[str, list[type[Event]]] = defaultdict(list)
    for model in EVENT_TYPES.values():
        by_stream[model.stream].append(model)
    channels, operations = {}, {}
    for stream in TOPIC_NAMES:
        refs = {_message_name(m): {"$ref": f"#/components/messages/{_message_name(m)}"} for m in by_stream[stream]}
        channels[stream] = {"address": f"{topic_prefix}{stream}", "messages": refs,
                            "description": f"Published by {PUBLISHERS[stream]}; key = complaint_id."}
        operations[f"publish-{stream}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{stream}"},
            "messages": [{"$ref": f"#/channels/{stream}/messages/{name}"} for name in refs],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Kesu events", "version": "1",
                 "description": "Complaint-lifecycle events, CloudEvents 1.0 in Kafka binary mode."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"CloudEventHeaders": _HEADERS, **_shared_schemas()},
            "messages": {_message_name(m): _message(m) for m in EVENT_TYPES.values()},
        },
    }


def _shared_schemas() -> dict:
    schemas: dict = {}
    for model in EVENT_TYPES.values():
        schemas.update(model.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}))
    return schemas
