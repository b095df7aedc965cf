"""Intake's use cases: plain async functions over a unit of work."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intake.models import api_keys, complaints, daily_sequence
from intake.redaction import redact
from intake.schemas import ComplaintCreate
from shared.consumer import HandlerContext
from shared.events import ComplaintClassified, ComplaintReceived, SlaBreached, SlaClockStarted, SlaClockStopped
from shared.uow import UnitOfWork

_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Accepted:
    """What intake answers for an accepted complaint."""

    complaint_id: str
    reference: str
    status: str
    received_at: datetime


def hash_api_key(key: str) -> str:
    """Keys are random 256-bit secrets, so a plain SHA-256 is a safe lookup hash."""
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(uow: UnitOfWork, *, channels: list[str], label: str | None = None) -> str:
    """Issue a key for some channels; only its hash is stored."""
    key = f"ksk_{secrets.token_urlsafe(32)}"
    await uow.session.execute(
        insert(api_keys).values(
            id=str(uuid.uuid4()), key_hash=hash_api_key(key), channels=sorted(set(channels)),
            label=label, created_at=uow.clock.now(),
        )
    )
    return key


async def channels_for_key(uow: UnitOfWork, key: str) -> list[str] | None:
    """The channels a live key may submit for, or None for an unknown or revoked key."""
    row = (
        await uow.session.execute(
            select(api_keys.c.channels).where(api_keys.c.key_hash == hash_api_key(key), api_keys.c.revoked_at.is_(None))
        )
    ).first()
    return list(row.channels) if row else None


def detect_language(text: str) -> str:
    """Chinese when a meaningful share of the letters are Han characters."""
    han = len(_HAN.findall(text))
    return "zh" if han >= max(1, len(text) // 20) else "en"


def complainant_ref(key: bytes, customer_id: str | None) -> str | None:
    """A stable pseudonym for a complainant: a keyed hash, never the identifier itself."""
    if not customer_id:
        return None
    return "cr_" + hmac.new(key, customer_id.strip().encode(), hashlib.sha256).hexdigest()[:32]


async def next_reference(uow: UnitOfWork, received_local_day: str) -> str:
    """KS-YYYYMMDD-NNNNNN, sequential per day, allocated inside the transaction."""
    builder = pg_insert if uow.session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = builder(daily_sequence).values(day=received_local_day, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["day"], set_={"last": daily_sequence.c.last + 1}
    ).returning(daily_sequence.c.last)
    number = (await uow.session.execute(statement)).scalar_one()
    return f"KS-{received_local_day}-{number:06d}"


async def receive_complaint(
    uow: UnitOfWork, complaint: ComplaintCreate, *, pseudonym_key: bytes, timezone: str
) -> Accepted:
    """Store a complaint and publish ComplaintReceived (redacted) in the same transaction."""
    now = uow.clock.now()
    received_at = complaint.received_at or now
    complaint_id = str(uuid.uuid4())
    reference = await next_reference(uow, now.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d"))
    language = complaint.language or detect_language(complaint.content)
    ref = complainant_ref(pseudonym_key, complaint.complainant.customer_id if complaint.complainant else None)
    await uow.session.execute(
        insert(complaints).values(
            id=complaint_id, reference=reference, channel=complaint.channel.value,
            external_ref=complaint.external_ref, received_at=received_at, created_at=now,
            status="received", complainant_ref=ref, language=language, subject=complaint.subject,
            content=complaint.content, product_hint=complaint.product_hint,
            branch_code=complaint.branch_code, region_code=complaint.region_code,
        )
    )
    await uow.publish(
        ComplaintReceived(
            complaint_id=complaint_id, reference=reference, channel=complaint.channel.value,
            external_ref=complaint.external_ref, received_at=received_at, complainant_ref=ref,
            language=language, subject=redact(complaint.subject) if complaint.subject else None,
            content=redact(complaint.content), product_hint=complaint.product_hint,
            branch_code=complaint.branch_code, region_code=complaint.region_code,
        )
    )
    return Accepted(complaint_id, reference, "received", received_at)


async def find_complaint(uow: UnitOfWork, complaint_id: str, channels: list[str]):
    """A complaint row, only if it came in through one of the caller's channels."""
    query = select(complaints).where(complaints.c.id == complaint_id, complaints.c.channel.in_(channels))
    return (await uow.session.execute(query)).first()


async def record_classification(event: ComplaintClassified, ctx: HandlerContext) -> None:
    """Keep the classification summary for GET /v1/complaints/{id}."""
    summary = {
        "business_line": event.business_line, "cause": event.cause, "severity": event.severity,
        "complexity": event.complexity, "flags": event.flags, "needs_review": event.needs_review,
    }
    await ctx.uow.session.execute(
        update(complaints).where(complaints.c.id == event.complaint_id)
        .values(classification=summary, classified_at=ctx.envelope.time)
    )


async def record_clock_started(event: SlaClockStarted, ctx: HandlerContext) -> None:
    """Keep the decision deadline for GET /v1/complaints/{id}."""
    if event.clock_name != "decision":
        return
    await ctx.uow.session.execute(
        update(complaints).where(complaints.c.id == event.complaint_id)
        .values(sla_due_at=event.due_at, sla_due_date=event.due_date, sla_state="running")
    )


async def record_breach(event: SlaBreached, ctx: HandlerContext) -> None:
    """Show a breached deadline as such."""
    await _set_sla_state(ctx, event.complaint_id, event.clock_name, "breached")


async def record_clock_stopped(event: SlaClockStopped, ctx: HandlerContext) -> None:
    """Show a stopped deadline as met or missed."""
    await _set_sla_state(ctx, event.complaint_id, event.clock_name, event.outcome)


async def _set_sla_state(ctx: HandlerContext, complaint_id: str, clock_name: str, state: str) -> None:
    if clock_name == "decision":
        await ctx.uow.session.execute(
            update(complaints).where(complaints.c.id == complaint_id).values(sla_state=state)
        )
