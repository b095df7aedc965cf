"""The CloudEvents envelope and the event catalogue."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.events import (
    EVENT_TYPES,
    ComplaintClassified,
    ComplaintReceived,
    InvalidMessage,
    envelope_for,
    from_message,
    to_headers,
)

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)


def received() -> ComplaintReceived:
    return ComplaintReceived(
        complaint_id="c-1", reference="KS-20261123-000001", channel="mobile_app",
        received_at=NOW, content="信用卡年费", complainant_ref="cr_abc",
    )


def test_envelope_round_trips_through_headers_and_body():
    envelope = envelope_for(received(), source="kesu/intake", time=NOW)
    rebuilt = from_message(to_headers(envelope), envelope.data)
    assert rebuilt == envelope
    assert rebuilt.event() == received()


def test_headers_are_cloudevents_binary_mode():
    headers = dict(to_headers(envelope_for(received(), source="kesu/intake", time=NOW)))
    assert headers["ce_type"] == b"kesu.complaint.received.v1"
    assert headers["ce_subject"] == b"c-1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_source"] == b"kesu/intake"
    assert headers["content-type"] == b"application/json"


def test_caused_event_inherits_correlation_and_names_its_cause():
    cause = envelope_for(received(), source="kesu/intake", time=NOW)
    classified = ComplaintClassified(
        complaint_id="c-1", business_line="credit_card", cause="pricing_fees", emotion="neutral",
        severity="low", complexity="simple", model_version="m", taxonomy_version="t",
    )
    effect = envelope_for(classified, source="kesu/classifier", time=NOW, caused_by=cause)
    assert effect.correlation_id == cause.id
    assert effect.causation_id == cause.id
    assert effect.id != cause.id


def test_missing_cloudevents_header_is_an_invalid_message():
    headers = [h for h in to_headers(envelope_for(received(), source="s", time=NOW)) if h[0] != "ce_type"]
    with pytest.raises(InvalidMessage):
        from_message(headers, b"{}")


def test_body_that_breaks_the_schema_is_an_invalid_message():
    envelope = envelope_for(received(), source="s", time=NOW)
    broken = from_message(to_headers(envelope), b'{"complaint_id": "c-1"}')
    with pytest.raises(InvalidMessage):
        broken.event()


def test_unknown_event_type_is_an_invalid_message():
    envelope = envelope_for(received(), source="s", time=NOW).model_copy(update={"type": "kesu.nope.v1"})
    with pytest.raises(InvalidMessage):
        envelope.event()


def test_every_event_type_is_versioned_and_past_tense_named():
    for type_name, model in EVENT_TYPES.items():
        assert type_name.startswith("kesu.") and type_name.endswith(".v1")
        assert model.__name__.endswith(("ed", "Sent", "Issued", "Started", "Stopped", "Breached", "Failed"))


def test_events_declare_no_direct_personal_identifier_fields():
    forbidden = {"name", "id_number", "phone", "email", "address", "card_number"}
    for model in EVENT_TYPES.values():
        assert forbidden.isdisjoint(model.model_fields), model.__name__
