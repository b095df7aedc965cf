"""Workflow use cases: status transitions and assignment, each with its event and audit record."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from services.cases import audit, store, timeline
from services.cases.assignment import AssignmentRules, pick_member
from services.cases.models import assignment_cursor, cases, users
from services.cases.settings import CasesSettings
from services.cases.transitions import OPEN, VIA_ACTION, Status, allowed, targets
from shared.db import upsert_insert
from shared.events import CaseAssigned, CaseStatusChanged, Envelope
from shared.http import Problem
from shared.uow import UnitOfWork

SYSTEM = "system"
# Roles whose members may be given cases by the assignment rules.
WORKING_ROLES = ("handler", "team_lead", "complaint_officer")


def refused(current: str, target: str, detail: str | None = None) -> Problem:
    """409 problem naming the states the case may move to instead."""
    allowed_targets = [s.value for s in targets(Status(current))]
    return Problem(409, "Transition not allowed",
                   detail or f"A case in {current!r} cannot move to {target!r}.",
                   current_status=current, requested_status=target, allowed=allowed_targets)


def review_window_open(case: dict, settings: CasesSettings, now: datetime) -> bool:
    """True while a review may still be requested: within the window after the first decision, once."""
    decided = case["decided_at"]
    return (not case["reviewed"] and decided is not None
            and now <= decided + timedelta(days=settings.review_window_days))


def check_transition(case: dict, target: Status, settings: CasesSettings, now: datetime, *,
                     via_action: bool = False) -> None:
    """Raise the 409 problem when the table, the action route or the review window forbids the move."""
    current = case["status"]
    if not allowed(Status(current), target):
        raise refused(current, target)
    if target in VIA_ACTION and not via_action:
        raise refused(current, target, f"Use POST /v1/cases/{{id}}{VIA_ACTION[target]} to move to {target!r}.")
    if target == Status.REVIEW_REQUESTED and not review_window_open(case, settings, now):
        raise refused(current, target, f"The review window ({settings.review_window_days} days after the "
                                       "decision) is closed, or the case was already reviewed.")


def _side_effects(case: dict, target: Status, settings: CasesSettings, now: datetime) -> dict:
    """Columns that change with the status beyond the status itself."""
    match target:
        case Status.CLOSED:
            return {"closed_at": now, "lookback_due_at": now + timedelta(days=settings.lookback_days),
                    "lookback_done_at": None, "lookback_returned": None}
        case Status.REVIEW_REQUESTED:
            return {"reviewed": True}
        case Status.REOPENED:
            return {"closed_at": None, "lookback_due_at": None}
        case _:
            return {}


async def change_status(uow: UnitOfWork, case: dict, target: Status, *, actor: str, reason: str | None,
                        settings: CasesSettings, via_action: bool = False,
                        caused_by: Envelope | None = None) -> dict:
    """Move a case to ``target``: one CaseStatusChanged, one audit record, one timeline entry."""
    now = uow.clock.now()
    check_transition(case, target, settings, now, via_action=via_action)
    current = case["status"]
    values = {"status": target.value, "status_changed_at": now, **_side_effects(case, target, settings, now)}
    await store.change(uow.session, case["complaint_id"], now=now, **values)
    event = CaseStatusChanged(complaint_id=case["complaint_id"], from_status=current, to_status=target.value,
                              reason=reason, actor=actor, changed_at=now)
    envelope = await uow.publish(event, caused_by=caused_by)
    await timeline.add(uow.session, case["complaint_id"], kind=event.type, source=uow.source, occurred_at=now,
                       actor=actor, data={"from_status": current, "to_status": target.value, "reason": reason},
                       event_id=envelope.id)
    await audit.record(uow.session, actor=actor, action="case.transition", subject_type="case",
                       subject_id=case["complaint_id"], reason=reason,
                       details={"from": current, "to": target.value}, at=now)
    return {**case, **values}


async def assign(uow: UnitOfWork, case: dict, *, assignee: str | None, team: str | None, org_code: str | None,
                 reason: str | None, actor: str, settings: CasesSettings,
                 caused_by: Envelope | None = None) -> dict:
    """Give a case to a handler and/or team; a received or reopened case moves to ``assigned``."""
    now = uow.clock.now()
    if case["status"] not in OPEN:
        raise refused(case["status"], Status.ASSIGNED.value, f"A case in {case['status']!r} cannot be assigned.")
    transfer = bool(case["assignee"] or case["team"])
    if transfer and not reason:
        raise Problem(422, "Validation failed", "A transfer of an assigned case needs a reason.",
                      errors=[{"field": "reason", "message": "required when the case is already assigned",
                               "type": "missing"}])
    await store.change(uow.session, case["complaint_id"], now=now, assignee=assignee, team=team, assigned_at=now)
    event = CaseAssigned(complaint_id=case["complaint_id"], case_id=case["complaint_id"], assignee=assignee,
                         team=team, org_code=org_code, reason=reason, actor=actor, assigned_at=now)
    envelope = await uow.publish(event, caused_by=caused_by)
    details = {"assignee": assignee, "team": team, "org_code": org_code,
               "previous_assignee": case["assignee"], "previous_team": case["team"], "transfer": transfer}
    await timeline.add(uow.session, case["complaint_id"], kind=event.type, source=uow.source, occurred_at=now,
                       actor=actor, data={**details, "reason": reason}, event_id=envelope.id)
    await audit.record(uow.session, actor=actor, action="case.assign", subject_type="case",
                       subject_id=case["complaint_id"], reason=reason, details=details, at=now)
    case = {**case, "assignee": assignee, "team": team, "assigned_at": now}
    if case["status"] in (Status.RECEIVED, Status.REOPENED):
        case = await change_status(uow, case, Status.ASSIGNED, actor=actor, reason=reason, settings=settings,
                                   via_action=True, caused_by=caused_by)
    return case


async def team_members(session, team: str) -> list[str]:
    """Usernames of the active members of a team who work cases."""
    query = select(users.c.username).where(users.c.team == team, users.c.active.is_(True),
                                           users.c.role.in_(WORKING_ROLES))
    return list((await session.execute(query)).scalars())


async def _open_loads(session, members: list[str]) -> dict[str, int]:
    query = (select(cases.c.assignee, func.count()).where(cases.c.assignee.in_(members),
                                                         cases.c.status.in_([s.value for s in OPEN]))
             .group_by(cases.c.assignee))
    return {name: count for name, count in (await session.execute(query)).all()}


async def _choose_member(session, team: str, rules: AssignmentRules) -> str | None:
    members = await team_members(session, team)
    if not members:
        return None
    last = (await session.execute(select(assignment_cursor.c.last_assignee)
                                  .where(assignment_cursor.c.team == team))).scalar()
    chosen = pick_member(members, strategy=rules.strategy, loads=await _open_loads(session, members), last=last)
    statement = upsert_insert(session.bind, assignment_cursor).values(team=team, last_assignee=chosen)
    await session.execute(statement.on_conflict_do_update(index_elements=[assignment_cursor.c.team],
                                                          set_={"last_assignee": chosen}))
    return chosen


async def auto_assign(uow: UnitOfWork, case: dict, *, rules: AssignmentRules, settings: CasesSettings,
                      caused_by: Envelope | None = None) -> dict:
    """Apply the assignment rules to a received, classified, unassigned case; otherwise do nothing."""
    ready = case["received_at"] is not None and case["business_line"] is not None
    if not ready or case["assignee"] or case["team"] or case["status"] != Status.RECEIVED:
        return case
    choice = rules.team_for(branch=case["branch_code"], business_line=case["business_line"],
                            severity=case["severity"], flags=store.flags_list(case["flags"]))
    if choice is None:
        return case
    member = await _choose_member(uow.session, choice.team, rules)
    return await assign(uow, case, assignee=member, team=choice.team, org_code=choice.org_code,
                        reason=choice.reason, actor=SYSTEM, settings=settings, caused_by=caused_by)
