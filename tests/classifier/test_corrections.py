"""Corrections: a ComplaintReclassified is stored with the complaint's text and changes the next model."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from classifier import handlers, training
from classifier.main import build
from classifier.pipeline import Classifier
from classifier.settings import ClassifierSettings
from shared import migrations
from shared.bus import Message
from shared.clock import SystemClock
from shared.db import create_engine
from shared.events import ComplaintReceived, ComplaintReclassified, Event, envelope_for, to_headers
from tests.integration.fakes import RecordingBus

TEXT = "网点说我这张卡的事要找总行，总行又让我回网点，到现在也没弄好。"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def message(event: Event, topic: str, offset: int) -> Message:
    envelope = envelope_for(event, source="kesu/test", time=NOW)
    return Message(topic, 0, offset, event.complaint_id.encode(), envelope.data, tuple(to_headers(envelope)))


@pytest.fixture
async def service(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'kesu.sqlite'}"
    engine = create_engine(url)
    await migrations.upgrade(engine, "classifier")
    yield build(ClassifierSettings(database_url=url, data_dir=tmp_path), engine=engine, bus=RecordingBus(),
                clock=SystemClock())
    await engine.dispose()


def received(complaint_id: str) -> ComplaintReceived:
    return ComplaintReceived(complaint_id=complaint_id, reference="KS-1", channel="web", received_at=NOW, content=TEXT)


def reclassified(complaint_id: str, business_line: str) -> ComplaintReclassified:
    return ComplaintReclassified(complaint_id=complaint_id, business_line=business_line, cause="service_quality",
                                 complexity="simple", actor="u-1", reclassified_at=NOW, previous={"cause": "x"})


async def test_received_complaint_is_classified_and_published(service):
    consumer = service.consumers[0]
    assert await consumer.process(message(received("c-1"), "kesu.complaint-events", 0)) == "processed"
    async with service.unit_of_work() as uow:
        rows, missing = await handlers.list_corrections(uow)
    assert (rows, missing) == ([], 0)


async def test_a_correction_is_stored_and_changes_the_next_trained_model(service):
    consumer, classifier = service.consumers[0], service.context.classifier
    before = classifier.classify(TEXT)
    target = "e_banking" if before.business_line != "e_banking" else "cash_services"
    await consumer.process(message(received("c-2"), "kesu.complaint-events", 0))
    await consumer.process(message(reclassified("c-2", target), "kesu.case-events", 0))
    await consumer.process(message(reclassified("c-404", target), "kesu.case-events", 1))
    async with service.unit_of_work() as uow:
        rows, missing = await handlers.list_corrections(uow)
    assert [r["business_line"] for r in rows] == [target] and missing == 1

    # Every fourth packaged example keeps every code and keeps the three trainings fast.
    examples = training.packaged_examples()[::4]
    corrected = training.train(training.TrainingSet(examples + training.correction_examples(rows)))
    after = Classifier(corrected, classifier.lexicon, classifier.taxonomy).classify(TEXT)
    assert after.business_line == target and after.cause == "service_quality"
    assert "staff correction of complaint c-2 applied" in after.explanation
    # Beyond the exact-text memory, the weights themselves moved towards the correction.
    without_memory = Classifier(replace(corrected, corrections={}), classifier.lexicon, classifier.taxonomy)
    base = Classifier(training.train(training.TrainingSet(examples)), classifier.lexicon, classifier.taxonomy)
    assert _probability(without_memory, target) > _probability(base, target)


def _probability(classifier: Classifier, code: str) -> float:
    model = classifier.bundle.languages["zh"]
    X = model.vocabulary.transform([TEXT])
    linear = model.dimensions["business_line"]
    logits = linear.logits(X)[0]
    exp = [2.718281828 ** (v - max(logits)) for v in logits]
    return exp[linear.classes.index(code)] / sum(exp)
