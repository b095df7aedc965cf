"""Group commit: concurrent complaints share a transaction, yet each is stored or failed on its own."""

from __future__ import annotations

import asyncio

from intake import handlers, models
from intake.schemas import ComplaintCreate
from tests.intake.conftest import Intake
from tests.intake.test_api_contract import BODY, auth


def prepared(intake: Intake, n: int, **changes) -> handlers.Prepared:
    """A complaint as the API hands it to the group commit."""
    complaint = ComplaintCreate.model_validate({**BODY, "external_ref": f"GC-{n}", **changes})
    ctx = intake.service.context
    return handlers.prepare(complaint, pseudonym_key=ctx.pseudonym_key, now=intake.service.clock.now(),
                            vault=ctx.vault)


async def test_concurrent_complaints_share_one_transaction_in_arrival_order(intake_on: Intake):
    writer = intake_on.service.context.writer
    items = [prepared(intake_on, n, complainant=None, content=f"第{n}件事") for n in range(20)]
    results = await asyncio.gather(*(writer.submit(item) for item in items))
    assert writer.batches == 1
    assert [r.complaint_id for r in results] == [item.complaint_id for item in items]
    references = [r.reference for r in results]
    assert references == sorted(references) and len(set(references)) == 20
    assert len(await intake_on.rows(models.complaints)) == 20
    assert len(await intake_on.rows(models.outbox)) == 20


async def test_an_item_that_cannot_be_stored_fails_alone_and_the_rest_of_its_batch_commits(intake_on: Intake):
    writer = intake_on.service.context.writer
    stored = prepared(intake_on, 0)
    await writer.submit(stored)
    # The same prepared complaint again: its id is taken, so the shared transaction fails on it.
    batch = [prepared(intake_on, 1), stored, prepared(intake_on, 2, complainant=None)]
    results = await asyncio.gather(*(writer.submit(item) for item in batch), return_exceptions=True)
    assert isinstance(results[0], handlers.Accepted) and isinstance(results[2], handlers.Accepted)
    assert isinstance(results[1], Exception)
    ids = {row.id for row in await intake_on.rows(models.complaints)}
    assert ids == {stored.complaint_id, batch[0].complaint_id, batch[2].complaint_id}
    events = {envelope.subject for envelope in await intake_on.published()}
    assert events == ids  # no event of the failed attempt, none missing for the others
    assert {row.complaint_id for row in await intake_on.rows(models.pii)} == ids


async def test_one_new_person_twice_in_a_batch_gets_one_ref_and_the_second_is_linked(intake_on: Intake):
    writer = intake_on.service.context.writer
    first, second = await asyncio.gather(writer.submit(prepared(intake_on, 1)), writer.submit(prepared(intake_on, 2)))
    assert writer.batches == 1
    assert first.complainant_ref == second.complainant_ref
    assert second.duplicate_of == first.complaint_id
    assert len(await intake_on.rows(models.complainants)) == 1
    assert len(await intake_on.rows(models.identifiers)) == 2  # resident ID and phone, indexed once


async def test_a_batch_request_shares_transactions_and_keeps_per_item_results(intake_on: Intake):
    headers = auth(await intake_on.key())
    items = [{**BODY, "external_ref": f"GC-{n}", "complainant": None} for n in range(30)]
    items[7] = {**items[7], "content": ""}
    response = await intake_on.client.post("/v1/complaints:batch", json={"items": items}, headers=headers)
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (29, 1)
    assert body["results"][7]["status"] == 422
    references = [r["complaint"]["reference"] for r in body["results"] if r["status"] == 201]
    assert references == sorted(references)
    assert intake_on.service.context.writer.batches == 1
