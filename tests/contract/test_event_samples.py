"""Golden samples of every published event keep parsing; the AsyncAPI document stays current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.redaction import redact
from shared.asyncapi import document
from shared.events import EVENT_TYPES, from_message

SAMPLES = Path(__file__).parent / "samples"
DOCS = Path(__file__).parents[2] / "docs" / "asyncapi.json"


def load(path: Path):
    sample = json.loads(path.read_text(encoding="utf-8"))
    headers = [(k, v.encode()) for k, v in sample["headers"].items()]
    body = json.dumps(sample["data"], ensure_ascii=False).encode()
    return from_message(headers, body)


def test_every_catalogued_event_has_a_golden_sample():
    assert {p.stem for p in SAMPLES.glob("*.json")} == set(EVENT_TYPES)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_golden_sample_still_parses_into_its_model(path):
    envelope = load(path)
    event = envelope.event()
    assert type(event) is EVENT_TYPES[path.stem]
    assert event.complaint_id == envelope.subject


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_golden_samples_carry_no_raw_identifiers(path):
    text = json.dumps(json.loads(path.read_text(encoding="utf-8"))["data"], ensure_ascii=False)
    assert redact(text) == text


def test_asyncapi_document_in_docs_is_generated_from_the_catalogue():
    assert json.loads(DOCS.read_text(encoding="utf-8")) == document(), "run: kesu asyncapi > docs/asyncapi.json"


def test_asyncapi_names_every_event_on_its_stream():
    doc = document()
    assert doc["asyncapi"].startswith("3.")
    for model in EVENT_TYPES.values():
        assert f"{model.__name__}V1" in doc["channels"][model.stream]["messages"]
