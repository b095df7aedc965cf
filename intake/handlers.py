"""Intake's use cases: plain async functions over a unit of work."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update

from intake import duplicate_search, duplicates, identity, references
from intake.idempotency import Stored
from intake.models import PII_FIELDS, complaints, idempotency, pii
from intake.schemas import ComplaintCreate
from intake.vault import Vault
from shared.db import insert_ignoring_returning
from shared.events import ComplaintDuplicateLinked, ComplaintReceived, Money
from shared.redaction import redact
from shared.uow import UnitOfWork

_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Accepted:
    """What intake answers for an accepted complaint."""

    complaint_id: str
    reference: str
    status: str
    received_at: datetime
    complainant_ref: str | None = None
    duplicate_of: str | None = None

    def body(self) -> dict:
        """The JSON body of the 201 answer (also what an idempotent replay returns)."""
        return {"complaint_id": self.complaint_id, "reference": self.reference, "status": self.status,
                "received_at": self.received_at.isoformat(), "complainant_ref": self.complainant_ref,
                "duplicate_of": self.duplicate_of}


@dataclass(frozen=True)
class Claim:
    """An Idempotency-Key to record with the complaint, in its transaction."""

    api_key_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Prepared:
    """A validated complaint with all that needs no database done: ids, digests, redacted text, sealed PII."""

    complaint: ComplaintCreate
    complaint_id: str
    received_at: datetime
    digests: list[tuple[str, str]]
    content: str
    subject: str | None
    language: str
    pii_row: dict | None
    claim: Claim | None = None
    api_key_id: str | None = None


def detect_language(text: str) -> str:
    """Chinese when a meaningful share of the letters are Han characters."""
    han = len(_HAN.findall(text))
    return "zh" if han >= max(1, len(text) // 20) else "en"


def prepare(complaint: ComplaintCreate, *, pseudonym_key: bytes, now: datetime, vault: Vault | None = None,
            claim: Claim | None = None, api_key_id: str | None = None) -> Prepared:
    """Everything about a complaint that is pure computation (done in the request, outside any transaction)."""
    complaint_id = str(uuid.uuid4())
    known = identity.known_values(complaint)
    return Prepared(
        complaint=complaint, complaint_id=complaint_id, received_at=complaint.received_at or now,
        digests=identity.digests(pseudonym_key, complaint.complainant),
        content=redact(complaint.content, known),
        subject=redact(complaint.subject, known) if complaint.subject else None,
        language=complaint.language or detect_language(complaint.content),
        pii_row=_sealed_row(vault, complaint_id, complaint), claim=claim, api_key_id=api_key_id)


def _sealed_row(vault: Vault | None, complaint_id: str, complaint: ComplaintCreate) -> dict | None:
    values = identity.pii_values(complaint)
    if vault is None:
        if any(k not in ("subject", "content") for k in values):
            raise ValueError("personal data was submitted but no vault is configured")
        return None  # without personal data only the redacted text is kept
    row = dict.fromkeys(PII_FIELDS)
    row.update({name: vault.seal(value, context=f"{complaint_id}:{name}").blob for name, value in values.items()})
    id_type = complaint.complainant.id_type if complaint.complainant else None
    return {"complaint_id": complaint_id, "key_id": vault.active_key_id, "id_type": id_type, **row}


async def receive_complaint(
    uow: UnitOfWork, complaint: ComplaintCreate, *, pseudonym_key: bytes, timezone: str,
    vault: Vault | None = None, policy: duplicates.Policy = duplicates.Policy(),
    claim: Claim | None = None, api_key_id: str | None = None,
) -> Accepted | None:
    """Store one complaint, its sealed PII and its events (redacted) in the caller's transaction."""
    item = prepare(complaint, pseudonym_key=pseudonym_key, now=uow.clock.now(), vault=vault, claim=claim,
                   api_key_id=api_key_id)
    return (await receive_batch(uow, [item], timezone=timezone, policy=policy))[0]


async def receive_batch(uow: UnitOfWork, items: Sequence[Prepared], *, timezone: str,
                        policy: duplicates.Policy = duplicates.Policy()) -> list[Accepted | None]:
    """Store prepared complaints in the caller's transaction, as if one after the other, with a few statements.

    None for an item whose Idempotency-Key another request claimed first (answer with its stored response).
    """
    now = uow.clock.now()
    fresh = [item for item, claimed in zip(items, await _claim_all(uow, items)) if claimed]
    numbers = await references.allocate(uow, now.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d"), len(fresh))
    resolution = await identity.resolve_all(uow, [item.digests for item in fresh])
    matches = await duplicate_search.matches(uow, fresh, resolution, policy)
    accepted = [Accepted(item.complaint_id, number, "received", item.received_at, ref, match and match.complaint_id)
                for item, number, ref, match in zip(fresh, numbers, resolution.refs, matches)]
    await _insert_rows(uow, fresh, accepted, now)
    for item, answer, match in zip(fresh, accepted, matches):
        await _publish(uow, item, answer, match)
    await _settle_all(uow, fresh, accepted)
    by_id = {answer.complaint_id: answer for answer in accepted}
    return [by_id.get(item.complaint_id) for item in items]


# Built once: constructing a statement per batch costs CPU in every transaction.
_INSERT_COMPLAINTS = insert(complaints)
_INSERT_PII = insert(pii)


async def _insert_rows(uow: UnitOfWork, items: list[Prepared], accepted: list[Accepted], now: datetime) -> None:
    if not items:
        return
    rows = [_complaint_row(item, answer, now) for item, answer in zip(items, accepted)]
    await uow.session.execute(_INSERT_COMPLAINTS, rows)
    sealed = [item.pii_row for item in items if item.pii_row]
    if sealed:
        await uow.session.execute(_INSERT_PII, sealed)


def _complaint_row(item: Prepared, accepted: Accepted, now: datetime) -> dict:
    complaint = item.complaint
    amount, transfer = complaint.amount_disputed, complaint.regulator_transfer
    return dict(
        id=accepted.complaint_id, reference=accepted.reference, channel=complaint.channel.value,
        external_ref=complaint.external_ref, received_at=accepted.received_at, created_at=now,
        status="received", complainant_ref=accepted.complainant_ref, language=item.language,
        subject=item.subject, content=item.content, product_hint=complaint.product_hint,
        branch_code=complaint.branch_code, region_code=complaint.region_code,
        duplicate_of=accepted.duplicate_of, group_size=complaint.group_size,
        vulnerability=list(complaint.complainant.vulnerability) if complaint.complainant else None,
        amount_value=Decimal(amount.value) if amount else None, amount_currency=amount and amount.currency,
        regulator_authority=transfer and transfer.authority, regulator_reference=transfer and transfer.reference,
        regulator_deadline=transfer and transfer.deadline,
        attachments=[a.model_dump() for a in complaint.attachments] or None, api_key_id=item.api_key_id,
    )


async def _publish(uow: UnitOfWork, item: Prepared, accepted: Accepted, match: duplicates.Match | None) -> None:
    complaint = item.complaint
    amount, transfer = complaint.amount_disputed, complaint.regulator_transfer
    await uow.publish(ComplaintReceived(
        complaint_id=accepted.complaint_id, reference=accepted.reference, channel=complaint.channel.value,
        external_ref=complaint.external_ref, received_at=accepted.received_at,
        complainant_ref=accepted.complainant_ref, language=item.language, subject=item.subject, content=item.content,
        product_hint=complaint.product_hint, branch_code=complaint.branch_code, region_code=complaint.region_code,
        group_size=complaint.group_size,
        amount_disputed=Money(value=Decimal(amount.value), currency=amount.currency) if amount else None,
        regulator_authority=transfer and transfer.authority, regulator_deadline=transfer and transfer.deadline,
        duplicate_of=accepted.duplicate_of,
    ))
    if match:
        await uow.publish(ComplaintDuplicateLinked(
            complaint_id=accepted.complaint_id, duplicate_of=match.complaint_id,
            complainant_ref=accepted.complainant_ref, similarity=min(1.0, match.similarity),
            reason=match.reason, linked_at=uow.clock.now(),
        ))


# --- idempotency records -------------------------------------------------------------------


async def _claim_all(uow: UnitOfWork, items: Sequence[Prepared]) -> list[bool]:
    """Record each Idempotency-Key; False for an item whose key is already taken (or taken earlier in the batch)."""
    first: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        if item.claim:
            first.setdefault((item.claim.api_key_id, item.claim.key), index)
    if not first:
        return [True] * len(items)
    now = uow.clock.now()
    # The primary key makes a concurrent twin wait here until the first commits; then it is skipped.
    rows = [{"api_key_id": api_key_id, "idempotency_key": key, "fingerprint": items[index].claim.fingerprint,
             "status": 0, "body": {}, "created_at": now} for (api_key_id, key), index in sorted(first.items())]
    statement = _claim_statement(uow.session.bind)
    taken = {(r.api_key_id, r.idempotency_key) for r in (await uow.session.execute(statement, rows)).all()}
    return [item.claim is None or (first[(c := (item.claim.api_key_id, item.claim.key))] == index and c in taken)
            for index, item in enumerate(items)]


def _claim_statement(bind):
    return insert_ignoring_returning(bind, idempotency, idempotency.c.api_key_id, idempotency.c.idempotency_key)


_SETTLE = (update(idempotency)
           .where(idempotency.c.api_key_id == bindparam("claim_api_key_id"),
                  idempotency.c.idempotency_key == bindparam("claim_key"))
           .values(status=201, body=bindparam("answer")))


async def _settle_all(uow: UnitOfWork, items: list[Prepared], accepted: list[Accepted]) -> None:
    rows = [{"claim_api_key_id": item.claim.api_key_id, "claim_key": item.claim.key, "answer": answer.body()}
            for item, answer in zip(items, accepted) if item.claim]
    if rows:
        await uow.session.execute(_SETTLE, rows)


async def stored_response(uow: UnitOfWork, api_key_id: str, key: str) -> Stored | None:
    """The first response recorded for an Idempotency-Key of this API key, if any."""
    row = (await uow.session.execute(select(idempotency).where(
        idempotency.c.api_key_id == api_key_id, idempotency.c.idempotency_key == key))).first()
    return Stored(row.fingerprint, row.status, row.body) if row else None


# --- queries ---------------------------------------------------------------------------------


async def find_complaint(uow: UnitOfWork, complaint_id: str, channels: list[str]):
    """A complaint row, only if it came in through one of the caller's channels."""
    query = select(complaints).where(complaints.c.id == complaint_id, complaints.c.channel.in_(channels))
    return (await uow.session.execute(query)).first()


async def find_by_external_ref(uow: UnitOfWork, channel: str, external_ref: str | None, limit: int = 100) -> list:
    """A channel's complaints, optionally with one external_ref, newest first."""
    query = select(complaints).where(complaints.c.channel == channel)
    if external_ref is not None:
        query = query.where(complaints.c.external_ref == external_ref)
    return list((await uow.session.execute(query.order_by(complaints.c.created_at.desc()).limit(limit))).all())


async def external_ref_taken(uow: UnitOfWork, channel: str, external_ref: str) -> bool:
    """True when this channel already submitted a complaint with this external_ref (imports skip it)."""
    query = select(complaints.c.id).where(complaints.c.channel == channel, complaints.c.external_ref == external_ref)
    return (await uow.session.execute(query.limit(1))).first() is not None
