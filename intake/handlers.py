"""Intake's use cases: plain async functions over a unit of work."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from intake import duplicates, identity
from intake.idempotency import Stored
from intake.models import complaints, daily_sequence, idempotency, pii
from shared.redaction import redact
from intake.schemas import ComplaintCreate
from intake.vault import Vault
from shared.events import ComplaintDuplicateLinked, ComplaintReceived, Money
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


def detect_language(text: str) -> str:
    """Chinese when a meaningful share of the letters are Han characters."""
    han = len(_HAN.findall(text))
    return "zh" if han >= max(1, len(text) // 20) else "en"


async def allocate_reference(uow: UnitOfWork, day: str) -> str:
    """KS-YYYYMMDD-NNNNNN, sequential per day.

    SQLite: a counter row, bumped inside the transaction (its write lock is held anyway).
    PostgreSQL: one sequence per day. ``nextval`` takes no row lock and is not rolled back, so
    concurrent intakes never wait for each other (the counter row held its lock until commit
    and capped intake near 30/s); the price is a gap when a transaction fails after taking a number.
    """
    if uow.session.bind.dialect.name != "postgresql":
        statement = text(
            "INSERT INTO intake_daily_sequence (day, last) VALUES (:day, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = intake_daily_sequence.last + 1 RETURNING last")
        number = (await uow.session.execute(statement.bindparams(day=day))).scalar_one()
    else:
        await _ensure_day_sequence(uow.session.bind, day)
        number = (await uow.session.execute(text(f"SELECT nextval('intake_ref_{day}')"))).scalar_one()
    return f"KS-{day}-{number:06d}"


_DAYS_WITH_SEQUENCE: set[tuple[str, str]] = set()


async def _ensure_day_sequence(engine, day: str) -> None:
    # Created on first use, outside the caller's transaction; it continues a counter row left
    # for the same day by the row-based allocator (the day this version is deployed).
    if (str(engine.url), day) in _DAYS_WITH_SEQUENCE or not day.isdigit():
        return
    async with engine.connect() as conn:
        last = (await conn.execute(select(daily_sequence.c.last).where(daily_sequence.c.day == day))).scalar()
        try:
            await conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS intake_ref_{day} START WITH {int(last or 0) + 1}"))
            await conn.commit()
        except IntegrityError:
            pass  # IF NOT EXISTS is not atomic: a concurrent request created it first
    _DAYS_WITH_SEQUENCE.add((str(engine.url), day))


async def receive_complaint(
    uow: UnitOfWork, complaint: ComplaintCreate, *, pseudonym_key: bytes, timezone: str,
    vault: Vault | None = None, policy: duplicates.Policy = duplicates.Policy(),
    claim: Claim | None = None, api_key_id: str | None = None,
) -> Accepted:
    """Store a complaint, its sealed PII and its events (redacted) in one transaction."""
    now = uow.clock.now()
    received_at = complaint.received_at or now
    complaint_id = str(uuid.uuid4())
    reference = await allocate_reference(uow, now.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d"))
    if claim:
        await _claim(uow, claim)
    ref = await identity.resolve(uow, identity.digests(pseudonym_key, complaint.complainant))
    known = identity.known_values(complaint)
    content = redact(complaint.content, known)
    subject = redact(complaint.subject, known) if complaint.subject else None
    match = await _find_duplicate(uow, ref, complaint, content, received_at, policy) if ref else None
    accepted = Accepted(complaint_id, reference, "received", received_at, ref, match and match.complaint_id)
    await _insert_complaint(uow, complaint, accepted, content, subject, now, api_key_id)
    await _seal_pii(uow, vault, complaint_id, complaint)
    await _publish(uow, complaint, accepted, content, subject, match)
    if claim:
        await _settle(uow, claim, accepted.body())
    return accepted


async def _insert_complaint(uow, complaint: ComplaintCreate, accepted: Accepted, content: str,
                            subject: str | None, now: datetime, api_key_id: str | None) -> None:
    amount, transfer = complaint.amount_disputed, complaint.regulator_transfer
    await uow.session.execute(insert(complaints).values(
        id=accepted.complaint_id, reference=accepted.reference, channel=complaint.channel.value,
        external_ref=complaint.external_ref, received_at=accepted.received_at, created_at=now,
        status="received", complainant_ref=accepted.complainant_ref, language=_language(complaint),
        subject=subject, content=content, product_hint=complaint.product_hint,
        branch_code=complaint.branch_code, region_code=complaint.region_code,
        duplicate_of=accepted.duplicate_of, group_size=complaint.group_size,
        vulnerability=list(complaint.complainant.vulnerability) if complaint.complainant else None,
        amount_value=Decimal(amount.value) if amount else None, amount_currency=amount and amount.currency,
        regulator_authority=transfer and transfer.authority, regulator_reference=transfer and transfer.reference,
        regulator_deadline=transfer and transfer.deadline,
        attachments=[a.model_dump() for a in complaint.attachments] or None, api_key_id=api_key_id,
    ))


def _language(complaint: ComplaintCreate) -> str:
    return complaint.language or detect_language(complaint.content)


async def _seal_pii(uow: UnitOfWork, vault: Vault | None, complaint_id: str, complaint: ComplaintCreate) -> None:
    values = identity.pii_values(complaint)
    if vault is None:
        if any(k not in ("subject", "content") for k in values):
            raise ValueError("personal data was submitted but no vault is configured")
        return  # without personal data only the redacted text is kept
    sealed = {name: vault.seal(value, context=f"{complaint_id}:{name}").blob for name, value in values.items()}
    id_type = complaint.complainant.id_type if complaint.complainant else None
    await uow.session.execute(insert(pii).values(
        complaint_id=complaint_id, key_id=vault.active_key_id, id_type=id_type, **sealed))


async def _find_duplicate(uow, ref: str, complaint: ComplaintCreate, content: str, received_at: datetime,
                          policy: duplicates.Policy) -> duplicates.Match | None:
    is_transfer = complaint.regulator_transfer is not None
    query = select(complaints.c.id, complaints.c.content, complaints.c.product_hint, complaints.c.received_at,
                   complaints.c.sla_state).where(complaints.c.complainant_ref == ref, complaints.c.duplicate_of.is_(None))
    if not is_transfer:
        query = query.where(complaints.c.received_at >= received_at - policy.window)
    rows = (await uow.session.execute(query.order_by(complaints.c.received_at.desc()).limit(50))).all()
    candidates = [duplicates.Candidate(r.id, r.content, r.product_hint, r.received_at, r.sla_state) for r in rows]
    return duplicates.find_duplicate(content, complaint.product_hint, received_at, candidates, policy,
                                     regulator_transfer=is_transfer)


async def _publish(uow: UnitOfWork, complaint: ComplaintCreate, accepted: Accepted, content: str,
                   subject: str | None, match: duplicates.Match | None) -> None:
    amount, transfer = complaint.amount_disputed, complaint.regulator_transfer
    await uow.publish(ComplaintReceived(
        complaint_id=accepted.complaint_id, reference=accepted.reference, channel=complaint.channel.value,
        external_ref=complaint.external_ref, received_at=accepted.received_at,
        complainant_ref=accepted.complainant_ref, language=_language(complaint), subject=subject, content=content,
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


async def _claim(uow: UnitOfWork, claim: Claim) -> None:
    # The primary key makes a concurrent twin wait here, then fail once this one commits.
    await uow.session.execute(insert(idempotency).values(
        api_key_id=claim.api_key_id, idempotency_key=claim.key, fingerprint=claim.fingerprint,
        status=0, body={}, created_at=uow.clock.now()))


async def _settle(uow: UnitOfWork, claim: Claim, body: dict) -> None:
    await uow.session.execute(
        update(idempotency).where(idempotency.c.api_key_id == claim.api_key_id,
                                  idempotency.c.idempotency_key == claim.key).values(status=201, body=body))


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
