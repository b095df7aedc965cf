"""Intake's HTTP routes: translate requests into use-case calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from intake import handlers
from intake.schemas import ClassificationSummary, ComplaintAccepted, ComplaintCreate, ComplaintRead, SlaSummary
from intake.settings import IntakeSettings
from shared.http import Problem
from shared.metrics import COMPLAINTS_RECEIVED
from shared.service import Service

router = APIRouter(prefix="/v1", tags=["complaints"])


@dataclass
class IntakeContext:
    """What intake's routes need from the composition root."""

    service: Service
    settings: IntakeSettings


def _context(request: Request) -> IntakeContext:
    return request.app.state.intake


Context = Annotated[IntakeContext, Depends(_context)]


async def _caller_channels(request: Request, ctx: Context) -> list[str]:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("Send the channel API key as 'Authorization: Bearer <key>'.")
    async with ctx.service.unit_of_work() as uow:
        channels = await handlers.channels_for_key(uow, key.strip())
    if channels is None:
        raise _unauthorized("The API key is unknown or revoked.")
    return channels


def _unauthorized(detail: str) -> Problem:
    problem = Problem(401, "Unauthorized", detail)
    problem.headers["WWW-Authenticate"] = "Bearer"
    return problem


CallerChannels = Annotated[list[str], Depends(_caller_channels)]


@router.post("/complaints", status_code=201, response_model=ComplaintAccepted)
async def post_complaint(body: ComplaintCreate, ctx: Context, channels: CallerChannels) -> ComplaintAccepted:
    """Accept a complaint from a channel system."""
    if body.channel.value not in channels:
        raise Problem(403, "Channel not allowed", f"This key may submit for {channels}, not {body.channel.value!r}.",
                      errors=[{"field": "channel", "message": "not allowed for this API key"}])
    if body.received_at and body.received_at > ctx.service.clock.now():
        raise Problem(422, "Validation failed", "1 invalid field(s).",
                      errors=[{"field": "received_at", "message": "must not be in the future"}])
    async with ctx.service.unit_of_work() as uow:
        accepted = await handlers.receive_complaint(
            uow, body, pseudonym_key=ctx.settings.pseudonym_key.get_secret_value().encode(),
            timezone=ctx.settings.timezone,
        )
    COMPLAINTS_RECEIVED.labels(body.channel.value).inc()
    return ComplaintAccepted(**accepted.__dict__)


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead)
async def get_complaint(complaint_id: str, ctx: Context, channels: CallerChannels) -> ComplaintRead:
    """A complaint's status, classification and deadline (its own channel's complaints only)."""
    async with ctx.service.unit_of_work() as uow:
        row = await handlers.find_complaint(uow, complaint_id, channels)
    if row is None:
        raise Problem(404, "Not found", f"No complaint {complaint_id!r} for this key's channels.")
    return _read_model(row)


def _read_model(row) -> ComplaintRead:
    sla = None
    if row.sla_due_at:
        sla = SlaSummary(due_at=row.sla_due_at, due_date=row.sla_due_date, state=row.sla_state)
    return ComplaintRead(
        complaint_id=row.id, reference=row.reference, channel=row.channel, external_ref=row.external_ref,
        status=row.status, received_at=row.received_at, language=row.language,
        classification=ClassificationSummary(**row.classification) if row.classification else None,
        sla=sla,
    )
