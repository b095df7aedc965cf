"""The cases service's read routes, the public survey route, and the router of the whole service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.cases import access, auth_api, decisions, queries, store
from services.cases.schemas import CaseDetail, CasePage, CaseSummary, SurveyAnswer
from services.cases.security import Principal, require
from services.cases.transitions import Status, targets

router = APIRouter(prefix="/v1", tags=["cases"])


def context(request: Request):
    """The cases service's context (units of work, settings, clock, assignment rules)."""
    return request.app.state.cases


Ctx = Annotated[object, Depends(context)]
Reader = Annotated[Principal, Depends(require("cases:read"))]


def summary(case: dict) -> CaseSummary:
    """The list view of a case row."""
    return CaseSummary.model_validate(_common(case))


def _common(case: dict) -> dict:
    return {**case, "case_id": case["complaint_id"], "flags": store.flags_list(case["flags"])}


def detail_view(case: dict) -> CaseDetail:
    """The detail view of a case with its related records."""
    amount = ({"value": str(case["amount_value"]), "currency": case["amount_currency"]}
              if case["amount_value"] is not None else None)
    return CaseDetail.model_validate({
        **_common(case), "amount_disputed": amount,
        "allowed_transitions": [s.value for s in targets(Status(case["status"]))],
    })


@router.get("/cases", response_model=CasePage)
async def list_cases(
    ctx: Ctx, principal: Reader,
    status: Annotated[list[Status] | None, Query()] = None,
    business_line: str | None = None, severity: str | None = None, flag: str | None = None,
    branch: str | None = None, assignee: str | None = None, team: str | None = None, channel: str | None = None,
    due_within_hours: Annotated[int | None, Query(ge=0, le=24 * 366)] = None,
    breached: bool | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="search in the complaint text")] = None,
    sort: Literal["due_at", "received_at", "-received_at"] = "due_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CasePage:
    """Cases in the caller's org subtree, filtered, sorted by due date (default) or receipt, by cursor."""
    flt = queries.CaseFilter(status=tuple(s.value for s in status or ()), business_line=business_line,
                             severity=severity, flag=flag, branch=branch, assignee=assignee, team=team,
                             channel=channel, due_within_hours=due_within_hours, breached=breached, q=q)
    async with ctx.unit_of_work() as uow:
        rows, next_cursor = await queries.list_cases(uow.session, principal, flt, sort=sort, limit=limit,
                                                     cursor=cursor, now=uow.clock.now())
    return CasePage(items=[summary(r) for r in rows], next_cursor=next_cursor)


@router.get("/cases/{case_id}", response_model=CaseDetail)
async def get_case(ctx: Ctx, principal: Reader, case_id: str) -> CaseDetail:
    """One case with its clocks, decisions, extensions, notes, attachments and full timeline."""
    async with ctx.unit_of_work() as uow:
        await access.visible_case(uow.session, principal, case_id)
        return detail_view(await queries.detail(uow.session, case_id))


@router.post("/surveys/{token}", status_code=204, tags=["surveys"])
async def answer_survey(ctx: Ctx, token: str, body: SurveyAnswer) -> Response:
    """Public: the complainant answers through the one-time link (404 unknown, 410 used or expired)."""
    async with ctx.unit_of_work() as uow:
        await decisions.complete_survey_by_token(uow, token, score=body.score, comment=body.comment)
    return Response(status_code=204)


def service_router() -> APIRouter:
    """Every route of the service: staff and security, reads, and the case actions."""
    from services.cases import actions_api

    combined = APIRouter()
    combined.include_router(auth_api.router)
    combined.include_router(router)
    combined.include_router(actions_api.router)
    return combined
