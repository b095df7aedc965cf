"""Extensions, decisions and satisfaction surveys, each with its event, timeline entry and audit record."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update

from services.cases import audit, letters, store, surveys, timeline, workflow
from services.cases.models import decisions, extensions
from services.cases.models import surveys as survey_table
from services.cases.settings import CasesSettings
from services.cases.transitions import OPEN, Status
from shared.events import CaseDecisionIssued, ExtensionGranted, Money, SurveyCompleted
from shared.http import Problem
from shared.redaction import redact
from shared.uow import UnitOfWork

# cn-nfra-2020 Art. 18: 15 days, 30 if complex (+15), 60 in all with approval (+30).
EXTRA_DAYS = {"complex": 15, "further": 30}


async def _extensions(session, complaint_id: str) -> list[dict]:
    query = select(extensions).where(extensions.c.complaint_id == complaint_id).order_by(extensions.c.requested_at)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


def extension_refusal(case: dict, kind: str, existing: list[dict]) -> str | None:
    """Why this extension cannot be asked for now, or None when it can."""
    if case["status"] not in OPEN:
        return f"A case in {case['status']!r} has no running decision clock to extend."
    kinds = {e["kind"] for e in existing}
    at_thirty = case["complexity"] == "complex" or "complex" in kinds
    if kind in kinds:
        return f"A {kind} extension was already requested for this case."
    if kind == "complex" and case["complexity"] == "complex":
        return "The case is classified complex: its clock already allows 30 days."
    if kind == "further" and not at_thirty:
        return "The further 30 days follow the complex extension (30 days) only."
    return None


async def request_extension(uow: UnitOfWork, case: dict, *, kind: str, reason: str, actor: str,
                            approver: bool, settings: CasesSettings) -> dict:
    """Record an extension; grant it now unless it is the further one and the actor may not approve."""
    refusal = extension_refusal(case, kind, await _extensions(uow.session, case["complaint_id"]))
    if refusal:
        raise Problem(409, "Extension not allowed", refusal, kind=kind)
    now = uow.clock.now()
    row = {"id": str(uuid.uuid4()), "complaint_id": case["complaint_id"], "kind": kind,
           "extra_days": EXTRA_DAYS[kind], "reason": reason, "requested_by": actor, "approved_by": None,
           "status": "pending", "requested_at": now, "granted_at": None}
    await uow.session.execute(insert(extensions).values(**row))
    if kind == "complex" or approver:
        return await _grant(uow, row, approved_by=actor if kind == "further" else None, settings=settings)
    await audit.record(uow.session, actor=actor, action="case.extend", subject_type="case",
                       subject_id=case["complaint_id"], reason=reason,
                       details={"extension_id": row["id"], "kind": kind, "status": "pending"}, at=now)
    await timeline.add(uow.session, case["complaint_id"], kind="kesu.case.extension_requested",
                       source=uow.source, occurred_at=now, actor=actor,
                       data={"extension_id": row["id"], "kind": kind, "extra_days": row["extra_days"]})
    return row


async def approve_extension(uow: UnitOfWork, case: dict, extension_id: str, *, approver: str,
                            settings: CasesSettings) -> dict:
    """The senior approver grants a pending further extension (never their own request)."""
    row = next((e for e in await _extensions(uow.session, case["complaint_id"]) if e["id"] == extension_id), None)
    if row is None:
        raise Problem(404, "Not Found", "No such extension request on this case.")
    if row["status"] != "pending":
        raise Problem(409, "Extension not pending", f"The extension is already {row['status']}.")
    if row["requested_by"] == approver:
        raise Problem(409, "Extension not allowed", "An extension request needs a second person's approval.")
    return await _grant(uow, row, approved_by=approver, settings=settings)


async def _grant(uow: UnitOfWork, row: dict, *, approved_by: str | None, settings: CasesSettings) -> dict:
    now = uow.clock.now()
    await uow.session.execute(update(extensions).where(extensions.c.id == row["id"])
                              .values(status="granted", approved_by=approved_by, granted_at=now))
    event = ExtensionGranted(complaint_id=row["complaint_id"], policy=settings.extension_policy,
                             clock_name=settings.extension_clock, kind=row["kind"], extra_days=row["extra_days"],
                             reason=row["reason"], requested_by=row["requested_by"], approved_by=approved_by,
                             granted_at=now)
    envelope = await uow.publish(event)
    details = {"extension_id": row["id"], "kind": row["kind"], "extra_days": row["extra_days"],
               "requested_by": row["requested_by"], "approved_by": approved_by, "status": "granted"}
    await timeline.add(uow.session, row["complaint_id"], kind=event.type, source=uow.source, occurred_at=now,
                       actor=approved_by or row["requested_by"], data=details, event_id=envelope.id)
    await audit.record(uow.session, actor=approved_by or row["requested_by"], action="case.extend",
                       subject_type="case", subject_id=row["complaint_id"], reason=row["reason"],
                       details=details, at=now)
    return {**row, "status": "granted", "approved_by": approved_by, "granted_at": now}


def check_letter(letter: str, language: str | None) -> None:
    """422 naming each required part (Order 3 Art. 19) the final letter lost."""
    missing = letters.missing_parts(letter, language or "zh")
    if missing:
        raise Problem(422, "Decision letter incomplete", f"The letter lacks: {', '.join(missing)}.",
                      missing=missing, errors=[{"field": "letter", "message": f"missing {part}", "type": "missing"}
                                               for part in missing])


async def decide(uow: UnitOfWork, case: dict, *, outcome: str, redress_type: str | None,
                 redress_amount: tuple[Decimal, str] | None, root_cause: str, letter: str, actor: str,
                 settings: CasesSettings) -> tuple[dict, str]:
    """Issue the decision: checked letter, status decision_issued, event, audit; returns a survey token."""
    now = uow.clock.now()
    workflow.check_transition(case, Status.DECISION_ISSUED, settings, now, via_action=True)
    check_letter(letter, case["language"])
    review = case["status"] == Status.UNDER_REVIEW
    value, currency = redress_amount or (None, None)
    await uow.session.execute(insert(decisions).values(
        id=str(uuid.uuid4()), complaint_id=case["complaint_id"], review=review, outcome=outcome,
        redress_type=redress_type, redress_value=value, redress_currency=currency, root_cause=root_cause,
        letter=letter, issued_by=actor, issued_at=now))
    case = await workflow.change_status(uow, case, Status.DECISION_ISSUED, actor=actor, reason=f"decision: {outcome}",
                                        settings=settings, via_action=True)
    await store.change(uow.session, case["complaint_id"], now=now, decided_at=now)
    event = CaseDecisionIssued(complaint_id=case["complaint_id"], case_id=case["complaint_id"], outcome=outcome,
                               redress_type=redress_type, root_cause=root_cause, review=review, issued_at=now,
                               redress_amount=Money(value=value, currency=currency) if value is not None else None)
    envelope = await uow.publish(event)
    details = {"outcome": outcome, "redress_type": redress_type, "redress_value": str(value) if value else None,
               "currency": currency, "root_cause": root_cause, "review": review}
    await timeline.add(uow.session, case["complaint_id"], kind=event.type, source=uow.source, occurred_at=now,
                       actor=actor, data=details, event_id=envelope.id)
    await audit.record(uow.session, actor=actor, action="case.decide", subject_type="case",
                       subject_id=case["complaint_id"], details=details, at=now)
    token = await issue_survey(uow, case["complaint_id"], settings=settings)
    return {**case, "decided_at": now}, token


async def issue_survey(uow: UnitOfWork, complaint_id: str, *, settings: CasesSettings) -> str:
    """A one-time survey link token; only its hash is stored, the token is returned once."""
    token, now = surveys.new_token(), uow.clock.now()
    await uow.session.execute(insert(survey_table).values(
        id=str(uuid.uuid4()), complaint_id=complaint_id, token_hash=surveys.token_hash(token),
        expires_at=now + timedelta(days=settings.survey_ttl_days), created_at=now))
    return token


async def complete_survey_by_token(uow: UnitOfWork, token: str, *, score: int, comment: str | None) -> None:
    """Answer through the link: 404 unknown, 410 used or expired, else SurveyCompleted."""
    row = (await uow.session.execute(select(survey_table).where(
        survey_table.c.token_hash == surveys.token_hash(token)))).first()
    if row is None:
        raise Problem(404, "Not Found", "This survey link is not known.")
    state = surveys.link_state(completed_at=row.completed_at, expires_at=row.expires_at, now=uow.clock.now())
    if state != "open":
        raise Problem(410, "Gone", f"This survey link is {state}.", state=state)
    await _complete(uow, row.id, row.complaint_id, score=score, comment=comment, channel="link", actor=None)


async def record_callback_survey(uow: UnitOfWork, case: dict, *, score: int, comment: str | None,
                                 actor: str) -> None:
    """A callback agent records the answer; the open link (if any) is used up with it."""
    now = uow.clock.now()
    rows = (await uow.session.execute(select(survey_table).where(
        survey_table.c.complaint_id == case["complaint_id"]))).all()
    if any(r.completed_at for r in rows):
        raise Problem(409, "Survey already answered", "This case's satisfaction survey is already recorded.")
    if case["decided_at"] is None:
        raise Problem(409, "No decision yet", "The survey follows the decision.")
    open_row = next((r for r in rows if surveys.link_state(completed_at=None, expires_at=r.expires_at,
                                                           now=now) == "open"), None)
    survey_id = open_row.id if open_row else str(uuid.uuid4())
    if open_row is None:
        await uow.session.execute(insert(survey_table).values(id=survey_id, complaint_id=case["complaint_id"],
                                                              created_at=now))
    await _complete(uow, survey_id, case["complaint_id"], score=score, comment=comment, channel="callback",
                    actor=actor)


async def _complete(uow: UnitOfWork, survey_id: str, complaint_id: str, *, score: int, comment: str | None,
                    channel: str, actor: str | None) -> None:
    now = uow.clock.now()
    clean = redact(comment) if comment else None
    await uow.session.execute(update(survey_table).where(survey_table.c.id == survey_id).values(
        completed_at=now, score=score, comment=clean, channel=channel))
    event = SurveyCompleted(complaint_id=complaint_id, case_id=complaint_id, score=score, comment=clean,
                            channel=channel, completed_at=now)
    envelope = await uow.publish(event)
    await timeline.add(uow.session, complaint_id, kind=event.type, source=uow.source, occurred_at=now,
                       actor=actor, data={"score": score, "channel": channel}, event_id=envelope.id)
