"""Intake's HTTP routes: translate requests into use-case calls; no SQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from intake import duplicates, guards, handlers, piistore
from intake.examples import REQUEST_EXAMPLES, problem_responses
from intake.groupcommit import GroupCommit
from intake.idempotency import Outcome, decide, fingerprint, valid_key
from intake.keys import REVEAL_SCOPE, ApiKey
from intake.ratelimit import RateLimiter
from intake.schemas import (
    BatchCreate, BatchItemResult, BatchResult, ClassificationSummary, ComplaintAccepted, ComplaintCreate,
    ComplaintList, ComplaintRead, RevealRequest, SlaSummary,
)
from intake.settings import IntakeSettings
from intake.vault import Vault
from shared.http import Problem
from shared.metrics import COMPLAINTS_RECEIVED
from shared.service import Service

log = structlog.get_logger()
router = APIRouter(prefix="/v1", tags=["complaints"], route_class=guards.LimitedJsonRoute)


@dataclass
class IntakeContext:
    """What intake's routes need from the composition root."""

    service: Service
    settings: IntakeSettings
    vault: Vault
    keys: guards.KeyCache
    limiter: RateLimiter
    policy: duplicates.Policy
    writer: GroupCommit[handlers.Prepared, handlers.Accepted | None]
    pseudonym_key: bytes


def _intake(request: Request) -> IntakeContext:
    return request.app.state.intake


async def _context(request: Request) -> IntakeContext:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, per request.
    return _intake(request)


Context = Annotated[IntakeContext, Depends(_context)]


async def _caller(request: Request) -> ApiKey:
    # The context is read here, not injected: each dependency FastAPI solves costs CPU on every request.
    ctx = _intake(request)
    key = await ctx.keys.lookup(guards.bearer_secret(request))
    if key is None:
        raise guards.unauthorized("The API key is unknown or revoked.")
    guards.enforce_rate(ctx.limiter, key)
    return key


Caller = Annotated[ApiKey, Depends(_caller)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description="Replay-safe retries: the same key and body return the first answer (200).")]
COMMON_ERRORS = (400, 401, 403, 413, 415, 422, 429)


@router.post("/complaints", status_code=201, response_model=ComplaintAccepted,
             responses={200: {"description": "Replay of an earlier request with the same Idempotency-Key and body",
                              "model": ComplaintAccepted}, **problem_responses(*COMMON_ERRORS, 409)})
async def post_complaint(request: Request, body: Annotated[ComplaintCreate, Body(openapi_examples=REQUEST_EXAMPLES)],
                         caller: Caller, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Accept a complaint from a channel system (受理投诉)."""
    ctx = _intake(request)  # not a dependency: the hottest route skips solving one (see _caller)
    _check_key_format(idempotency_key)
    _check_channel(caller, body)
    _check_received_at(ctx, body)
    status, answer = await _accept(ctx, caller, body, idempotency_key)
    return JSONResponse(answer, status_code=status)


@router.post("/complaints:batch", response_model=BatchResult, responses=problem_responses(*COMMON_ERRORS))
async def post_batch(body: BatchCreate, ctx: Context, caller: Caller,
                     idempotency_key: IdempotencyKey = None) -> BatchResult:
    """Accept up to 1,000 complaints; each item succeeds or fails on its own (批量受理)."""
    _check_key_format(idempotency_key)
    # Concurrently, in index order: the items join the same group commits instead of one transaction each.
    results = await asyncio.gather(*(_batch_item(ctx, caller, index, raw, idempotency_key)
                                     for index, raw in enumerate(body.items)))
    accepted = sum(r.status in (200, 201) for r in results)
    return BatchResult(accepted=accepted, rejected=len(results) - accepted, results=list(results))


async def _batch_item(ctx: IntakeContext, caller: ApiKey, index: int, raw: dict, key: str | None) -> BatchItemResult:
    try:
        complaint = ComplaintCreate.model_validate(raw)
        _check_channel(caller, complaint)
        _check_received_at(ctx, complaint)
        status, answer = await _accept(ctx, caller, complaint, key and f"{key}#{index}")
    except ValidationError as exc:
        return BatchItemResult(index=index, status=422, errors=_field_errors(exc))
    except Problem as problem:
        return BatchItemResult(index=index, status=problem.status, errors=problem.extra.get("errors", []))
    except Exception as error:  # noqa: BLE001 - one item that could not be stored must not fail the others
        log.error("batch item not stored", index=index, error=repr(error))
        return BatchItemResult(index=index, status=500, errors=[
            {"field": f"items.{index}", "message": "not stored (internal error); retry this item", "type": "internal"}])
    return BatchItemResult(index=index, status=status, complaint=ComplaintAccepted(**answer))


def _field_errors(exc: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
            for e in exc.errors()]


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead, responses=problem_responses(401, 429))
async def get_complaint(complaint_id: str, ctx: Context, caller: Caller) -> ComplaintRead:
    """A complaint's status, classification and deadline; identifiers masked (its own channels only)."""
    async with ctx.service.unit_of_work() as uow:
        row = await handlers.find_complaint(uow, complaint_id, caller.channels)
        masked = await piistore.masked(uow, ctx.vault, complaint_id) if row else None
    if row is None:
        raise Problem(404, "Not found", f"No complaint {complaint_id!r} for this key's channels.")
    return _read_model(row, masked)


@router.get("/complaints", response_model=ComplaintList, responses=problem_responses(401, 403, 422, 429))
async def list_complaints(ctx: Context, caller: Caller,
                          channel: Annotated[str | None, Query(description="Default: the key's channels.")] = None,
                          external_ref: Annotated[str | None, Query(max_length=200)] = None) -> ComplaintList:
    """A channel looks up its own submissions, e.g. by its external_ref (newest first, at most 100)."""
    if channel and channel not in caller.channels:
        raise Problem(403, "Channel not allowed", f"This key may read {caller.channels}, not {channel!r}.",
                      errors=[{"field": "channel", "message": "not allowed for this API key"}])
    rows = []
    async with ctx.service.unit_of_work() as uow:
        for name in [channel] if channel else caller.channels:
            rows += await handlers.find_by_external_ref(uow, name, external_ref)
    return ComplaintList(items=[_read_model(row, None) for row in rows])


@router.post("/complaints/{complaint_id}/pii:reveal", responses=problem_responses(401, 403, 422, 429))
async def reveal_pii(complaint_id: str, body: RevealRequest, ctx: Context, caller: Caller) -> dict:
    """Clear personal data for authorised staff keys (scope pii:reveal); every reveal is audited."""
    if REVEAL_SCOPE not in caller.scopes:
        raise Problem(403, "Not allowed", f"Revealing personal data needs a key with scope {REVEAL_SCOPE!r}.")
    async with ctx.service.unit_of_work() as uow:
        row = await handlers.find_complaint(uow, complaint_id, caller.channels)
        opened = row and await piistore.reveal(uow, ctx.vault, complaint_id, api_key_id=caller.id,
                                               actor=body.actor, reason=body.reason)
    if not row:
        raise Problem(404, "Not found", f"No complaint {complaint_id!r} for this key's channels.")
    return {"complaint_id": complaint_id, "pii": opened or {}}


# --- shared steps ------------------------------------------------------------------------------


def _check_key_format(key: str | None) -> None:
    if key is not None and not valid_key(key):
        raise Problem(422, "Validation failed", "Invalid Idempotency-Key.", errors=[
            {"field": "Idempotency-Key", "message": "1-200 characters of A-Z a-z 0-9 . _ : -", "type": "header"}])


def _check_channel(caller: ApiKey, complaint: ComplaintCreate) -> None:
    if complaint.channel.value not in caller.channels:
        raise Problem(403, "Channel not allowed",
                      f"This key may submit for {caller.channels}, not {complaint.channel.value!r}.",
                      errors=[{"field": "channel", "message": "not allowed for this API key"}])


def _check_received_at(ctx: IntakeContext, complaint: ComplaintCreate) -> None:
    latest = ctx.service.clock.now() + timedelta(seconds=ctx.settings.received_at_skew_s)
    if complaint.received_at and complaint.received_at > latest:
        raise Problem(422, "Validation failed", "1 invalid field(s).", errors=[
            {"field": "received_at", "message": "must not be in the future", "type": "future_datetime"}])


async def _accept(ctx: IntakeContext, caller: ApiKey, complaint: ComplaintCreate, key: str | None) -> tuple[int, dict]:
    """201 and the new complaint (once committed), or 200 and the first answer for a replayed Idempotency-Key."""
    claim = None
    if key:
        claim = handlers.Claim(caller.id, key, fingerprint("complaints", complaint.model_dump(mode="json")))
    item = handlers.prepare(complaint, pseudonym_key=ctx.pseudonym_key, now=ctx.service.clock.now(),
                            vault=ctx.vault, claim=claim, api_key_id=caller.id)
    accepted = await ctx.writer.submit(item)
    if accepted is None:
        # The key was claimed first by another request (committed by now): answer as it did.
        replay = await _replay(ctx, claim)
        if replay is None:
            raise RuntimeError(f"Idempotency-Key {key!r} was claimed but its record is gone")
        return replay
    COMPLAINTS_RECEIVED.labels(complaint.channel.value).inc()
    return 201, accepted.body()


async def _replay(ctx: IntakeContext, claim: handlers.Claim) -> tuple[int, dict] | None:
    async with ctx.service.unit_of_work() as uow:
        stored = await handlers.stored_response(uow, claim.api_key_id, claim.key)
    if stored is None:
        return None
    if decide(stored, claim.fingerprint) is Outcome.CONFLICT:
        raise Problem(409, "Idempotency-Key reused", "This Idempotency-Key was used with a different body.",
                      errors=[{"field": "Idempotency-Key", "message": "already used for a different request"}])
    return 200, stored.body


def _read_model(row, masked: dict | None) -> ComplaintRead:
    sla = None
    if row.sla_due_at:
        sla = SlaSummary(due_at=row.sla_due_at, due_date=row.sla_due_date, state=row.sla_state)
    return ComplaintRead(
        complaint_id=row.id, reference=row.reference, channel=row.channel, external_ref=row.external_ref,
        status=row.status, received_at=row.received_at, language=row.language, complainant_ref=row.complainant_ref,
        complainant=masked, duplicate_of=row.duplicate_of,
        classification=ClassificationSummary(**row.classification) if row.classification else None,
        sla=sla,
    )
