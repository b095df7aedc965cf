"""The case action routes (``POST /v1/cases/{id}:action``): each checks permission, scope and ownership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.cases import access, casework, decisions, letters, pii, queries, workflow
from services.cases.api import Ctx, detail_view
from services.cases.schemas import (AssignRequest, AttachmentCreate, CaseDetail, DecideRequest, DecisionIssued,
                                    ExtendRequest, LetterDraft, LetterDraftRequest, NoteCreate, PiiRevealed,
                                    PiiRevealRequest, ReclassifyRequest, SurveyAnswer, TransitionRequest)
from services.cases.security import Principal, can, require

router = APIRouter(prefix="/v1/cases", tags=["case actions"])


Worker = Annotated[Principal, Depends(require("cases:work"))]
Assigner = Annotated[Principal, Depends(require("cases:assign"))]
Extender = Annotated[Principal, Depends(require("cases:extend"))]
Approver = Annotated[Principal, Depends(require("cases:approve_extension"))]
Decider = Annotated[Principal, Depends(require("cases:decide"))]
Reclassifier = Annotated[Principal, Depends(require("cases:reclassify"))]
Revealer = Annotated[Principal, Depends(require("pii:reveal"))]


async def _detail(uow, case_id: str) -> CaseDetail:
    return detail_view(await queries.detail(uow.session, case_id))


@router.post("/{case_id}:transition", response_model=CaseDetail)
async def transition(ctx: Ctx, principal: Worker, case_id: str, body: TransitionRequest) -> CaseDetail:
    """Move the case to another state (409 naming the allowed ones when the table forbids it)."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        await workflow.change_status(uow, case, body.to, actor=principal.username, reason=body.reason,
                                     settings=ctx.settings)
        return await _detail(uow, case_id)


@router.post("/{case_id}:assign", response_model=CaseDetail)
async def assign(ctx: Ctx, principal: Assigner, case_id: str, body: AssignRequest) -> CaseDetail:
    """Assign to a handler and/or team; transferring an assigned case needs a reason."""
    async with ctx.unit_of_work() as uow:
        case = await access.visible_case(uow.session, principal, case_id, for_update=True)
        await workflow.assign(uow, case, assignee=body.assignee, team=body.team, org_code=principal.org_code,
                              reason=body.reason, actor=principal.username, settings=ctx.settings)
        return await _detail(uow, case_id)


@router.post("/{case_id}:extend", response_model=CaseDetail)
async def extend(ctx: Ctx, principal: Extender, case_id: str, body: ExtendRequest) -> CaseDetail:
    """Extend the decision deadline: complex at once; further at once only for an approver, else pending."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        await decisions.request_extension(uow, case, kind=body.kind, reason=body.reason, actor=principal.username,
                                          approver=can(principal, "cases:approve_extension"), settings=ctx.settings)
        return await _detail(uow, case_id)


@router.post("/{case_id}/extensions/{extension_id}:approve", response_model=CaseDetail)
async def approve_extension(ctx: Ctx, principal: Approver, case_id: str,
                            extension_id: str) -> CaseDetail:
    """A senior approver grants a pending further extension requested by someone else."""
    async with ctx.unit_of_work() as uow:
        case = await access.visible_case(uow.session, principal, case_id, for_update=True)
        await decisions.approve_extension(uow, case, extension_id, approver=principal.username,
                                          settings=ctx.settings)
        return await _detail(uow, case_id)


@router.post("/{case_id}/letter:draft", response_model=LetterDraft)
async def draft_letter(ctx: Ctx, principal: Decider, case_id: str,
                       body: LetterDraftRequest | None = None) -> LetterDraft:
    """Render the decision letter draft from the case and the business line's template."""
    body = body or LetterDraftRequest()
    async with ctx.unit_of_work() as uow:
        case = await access.visible_case(uow.session, principal, case_id)
        text = letters.render_draft(
            case, now=uow.clock.now(), timezone=ctx.settings.timezone, bank_name=ctx.settings.bank_name,
            outcome=body.outcome, redress_type=body.redress.type if body.redress else None,
            redress_amount=body.redress.money() if body.redress else None, verified=body.verified, basis=body.basis)
    lang = case["language"] or "zh"
    return LetterDraft(template=letters.template_name(lang, case["business_line"]), letter=text,
                       required_parts=[p.name for p in letters.REQUIRED_PARTS.get(lang, letters.REQUIRED_PARTS["zh"])])


@router.post("/{case_id}:decide", response_model=DecisionIssued)
async def decide(ctx: Ctx, principal: Decider, case_id: str, body: DecideRequest) -> DecisionIssued:
    """Issue the decision with the final letter (422 naming any required part it lacks)."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        _, token = await decisions.decide(
            uow, case, outcome=body.outcome, redress_type=body.redress.type if body.redress else None,
            redress_amount=body.redress.money() if body.redress else None, root_cause=body.root_cause,
            letter=body.letter, actor=principal.username, settings=ctx.settings)
        detail = await _detail(uow, case_id)
    return DecisionIssued(case=detail, survey_token=token, survey_expires_in_days=ctx.settings.survey_ttl_days)


@router.post("/{case_id}:reclassify", response_model=CaseDetail)
async def reclassify(ctx: Ctx, principal: Reclassifier, case_id: str,
                     body: ReclassifyRequest) -> CaseDetail:
    """Correct the classification; emits ComplaintReclassified."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        await casework.reclassify(uow, case, actor=principal.username, **body.model_dump())
        return await _detail(uow, case_id)


@router.post("/{case_id}/notes", status_code=201, response_model=CaseDetail)
async def add_note(ctx: Ctx, principal: Worker, case_id: str, body: NoteCreate) -> CaseDetail:
    """Add an internal comment or a customer-facing note."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        await casework.add_note(uow, case, body=body.body, visibility=body.visibility, actor=principal.username)
        return await _detail(uow, case_id)


@router.post("/{case_id}/attachments", status_code=201, response_model=CaseDetail)
async def add_attachment(ctx: Ctx, principal: Worker, case_id: str, body: AttachmentCreate) -> CaseDetail:
    """Record an attachment's metadata (the file stays in the document store)."""
    async with ctx.unit_of_work() as uow:
        case = await access.workable_case(uow.session, principal, case_id)
        await casework.add_attachment(uow, case, actor=principal.username, **body.model_dump())
        return await _detail(uow, case_id)


@router.post("/{case_id}/survey", status_code=201, response_model=CaseDetail)
async def record_survey(ctx: Ctx, principal: Worker, case_id: str, body: SurveyAnswer) -> CaseDetail:
    """A callback agent records the complainant's satisfaction answer."""
    async with ctx.unit_of_work() as uow:
        case = await access.visible_case(uow.session, principal, case_id, for_update=True)
        await decisions.record_callback_survey(uow, case, score=body.score, comment=body.comment,
                                               actor=principal.username)
        return await _detail(uow, case_id)


@router.post("/{case_id}/pii:reveal", response_model=PiiRevealed)
async def reveal_pii(ctx: Ctx, principal: Revealer, case_id: str, body: PiiRevealRequest,
                     response: Response) -> PiiRevealed:
    """The complainant's clear personal data from intake's vault, with a reason; audited here and at intake."""
    revealed = await pii.reveal(ctx, principal, case_id, reason=body.reason, fields=body.fields)
    # Personal data must not linger in browser or proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return revealed
