"""The classifier in the consumer's batch mode: one transaction and one classify_many per fetched
partition batch, with the per-event semantics kept (a re-sent complaint replaces its earlier
classification; a poison event is dead-lettered alone while the others are stored)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from classifier.handlers import input_for
from classifier.main import build
from classifier.models import classifications, inbox, outbox
from classifier.settings import ClassifierSettings
from shared import migrations
from shared.bus import Message
from shared.clock import SystemClock
from shared.db import create_engine
from shared.events import EVENT_TYPES, ComplaintClassified, ComplaintReceived
from tests.classifier.test_corrections import NOW, message
from tests.integration.fakes import RecordingBus

TOPIC = "kesu.complaint-events"
TEXTS = [
    "信用卡年费被乱收，办卡时承诺终身免年费，要求退还。",
    "I was charged an overdraft fee twice on my checking account and the bank refuses to refund it.",
    "借记卡被境外盗刷三笔，要求冻结并追回资金。",
    "My mortgage servicer lost my payment and reported me late to the credit bureaus.",
    "手机银行升级后闪退无法登录，客服电话一直打不通。",
]
FALLBACK = "batch transaction failed; handling its events one by one"


async def _service(url: str, data_dir):
    engine = create_engine(url)
    await migrations.upgrade(engine, "classifier")
    settings = ClassifierSettings(database_url=url, data_dir=data_dir, consumer_max_attempts=2,
                                  consumer_backoff_initial_s=0.01, consumer_backoff_max_s=0.01)
    return build(settings, engine=engine, bus=RecordingBus(), clock=SystemClock())


@pytest.fixture
async def service(database_url, tmp_path):
    """The classifier service (batch mode, its default) on SQLite and on PostgreSQL."""
    service = await _service(database_url, tmp_path)
    yield service
    await service.engine.dispose()


def received(complaint_id: str, text: str) -> ComplaintReceived:
    return ComplaintReceived(complaint_id=complaint_id, reference=f"KS-{complaint_id}", channel="web",
                             received_at=NOW, content=text, language="en" if text.isascii() else "zh")


def as_messages(events: list) -> list[Message]:
    return [message(event, TOPIC, offset) for offset, event in enumerate(events)]


def counting_batches(service, monkeypatch) -> list[int]:
    """Sizes of the classifier's classify_many calls from now on (the calls still run)."""
    classifier, sizes = service.context.classifier, []
    real = classifier.classify_many

    def classify_many(items):
        sizes.append(len(items))
        return real(items)

    monkeypatch.setattr(classifier, "classify_many", classify_many)
    return sizes


async def stored(service) -> dict[str, dict]:
    async with service.engine.connect() as conn:
        return {row["complaint_id"]: dict(row) for row in (await conn.execute(select(classifications))).mappings()}


async def published(service) -> list[ComplaintClassified]:
    async with service.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.headers, outbox.c.payload).order_by(outbox.c.id))).all()
    return [EVENT_TYPES[dict(headers)["ce_type"]].model_validate_json(payload) for headers, payload in rows]


async def inbox_size(service) -> int:
    async with service.engine.connect() as conn:
        return len((await conn.execute(select(inbox.c.event_id))).all())


def assert_classified_as_alone(service, row: dict, event: ComplaintReceived) -> None:
    alone = service.context.classifier.classify(input_for(event))
    assert row["content"] == input_for(event).text
    assert (row["business_line"], row["cause"], row["flags"], row["emotion"], row["severity"], row["complexity"],
            row["needs_review"], row["language"]) == (alone.business_line, alone.cause, alone.flags, alone.emotion,
                                                      alone.severity, alone.complexity, alone.needs_review,
                                                      alone.language)


async def test_a_batch_is_classified_in_one_call_and_every_complaint_is_stored(service, monkeypatch):
    consumer = service.consumers[0]
    assert consumer.batch_transactions  # the classifier's default
    events = [received(f"b-{n}", text) for n, text in enumerate(TEXTS)]
    sizes = counting_batches(service, monkeypatch)

    with capture_logs() as logs:
        assert await consumer.process_batch(as_messages(events)) == ["processed"] * len(events)

    assert sizes == [len(events)]  # one call for the whole batch, none per event
    assert not [entry for entry in logs if entry["event"] == FALLBACK]
    rows = await stored(service)
    assert sorted(rows) == sorted(e.complaint_id for e in events)
    for event in events:
        assert_classified_as_alone(service, rows[event.complaint_id], event)
    announced = await published(service)
    assert [e.complaint_id for e in announced] == [e.complaint_id for e in events]
    assert [e.business_line for e in announced] == [rows[e.complaint_id]["business_line"] for e in events]
    assert await inbox_size(service) == len(events)


async def test_a_complaint_resent_within_a_batch_keeps_only_its_latest_classification(service):
    consumer = service.consumers[0]
    first, other, resent = received("r-1", TEXTS[0]), received("r-2", TEXTS[1]), received("r-1", TEXTS[2])

    with capture_logs() as logs:
        assert await consumer.process_batch(as_messages([first, other, resent])) == ["processed"] * 3

    assert not [entry for entry in logs if entry["event"] == FALLBACK]  # handled in the batch's one transaction
    rows = await stored(service)
    assert sorted(rows) == ["r-1", "r-2"]
    assert_classified_as_alone(service, rows["r-1"], resent)
    assert [e.complaint_id for e in await published(service)] == ["r-1", "r-2", "r-1"]  # one event per receipt

    # In a later batch too, and a redelivered batch changes nothing.
    later = as_messages([received("r-2", TEXTS[3]), received("r-3", TEXTS[4])])
    assert await consumer.process_batch(later) == ["processed"] * 2
    assert await consumer.process_batch(later) == ["duplicate"] * 2
    rows = await stored(service)
    assert sorted(rows) == ["r-1", "r-2", "r-3"] and rows["r-2"]["content"] == TEXTS[3]
    assert len(await published(service)) == 5


async def test_an_invalid_message_is_dead_lettered_alone_and_the_others_are_classified(service):
    consumer = service.consumers[0]
    good = [received("i-1", TEXTS[0]), received("i-2", TEXTS[1])]
    messages = as_messages(good)
    broken = Message(TOPIC, 0, 2, b"i-x", b"{not json", messages[0].headers)

    assert await consumer.process_batch([messages[0], broken, messages[1]]) == [
        "processed", "dead_lettered", "processed"]

    assert sorted(await stored(service)) == ["i-1", "i-2"]
    dead = [record for record in consumer._bus.published if record.topic == f"{TOPIC}.dlq"]
    assert [record.value for record in dead] == [b"{not json"]


# PostgreSQL only: it enforces column lengths, SQLite does not, and the poison is an over-long id.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_poison_event_among_good_ones_is_dead_lettered_alone(service):
    consumer = service.consumers[0]
    poison = received("p-" + "x" * 40, TEXTS[2])  # longer than the column: PostgreSQL refuses the row
    events = [received("p-1", TEXTS[0]), received("p-2", TEXTS[1]), poison, received("p-3", TEXTS[3])]

    with capture_logs() as logs:
        outcomes = await consumer.process_batch(as_messages(events))

    assert outcomes == ["processed", "processed", "dead_lettered", "processed"]
    assert [entry for entry in logs if entry["event"] == FALLBACK]  # the batch failed whole, then one by one
    assert sorted(await stored(service)) == ["p-1", "p-2", "p-3"]
    assert [e.complaint_id for e in await published(service)] == ["p-1", "p-2", "p-3"]
    assert await inbox_size(service) == 3  # the poison is not marked processed
    dead = [record for record in consumer._bus.published if record.topic == f"{TOPIC}.dlq"]
    assert [record.key for record in dead] == [poison.complaint_id.encode()]
    assert dict(dead[0].headers)["dlq_attempts"] == b"2"
