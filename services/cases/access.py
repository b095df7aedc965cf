"""Who may see and act on which case: org scope, and handlers limited to their own or their team's cases."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from services.cases import store
from services.cases.models import audit_log, cases, orgs, users
from services.cases.security import Principal, Role, at_root, can, forbidden, in_scope, path_in_scope
from services.cases.transitions import Status
from shared.http import Problem


def not_found() -> Problem:
    """404 for a case that does not exist or lies outside the caller's org subtree (no existence leak)."""
    return Problem(404, "Not Found", "No such case in your organisation's scope.")


def may_act(principal: Principal, case: dict) -> bool:
    """Handlers act on cases assigned to them or their team; team leads and above on any case in scope."""
    if principal.role != Role.HANDLER:
        return True
    return case["assignee"] == principal.username or (principal.team is not None and case["team"] == principal.team)


async def visible_case(session, principal: Principal, case_id: str, *, for_update: bool = False) -> dict:
    """The case when it exists and lies in the principal's scope, else 404."""
    case = await store.get(session, case_id, for_update=for_update)
    if case is None or not path_in_scope(principal, case["org_path"]):
        raise not_found()
    return case


async def workable_case(session, principal: Principal, case_id: str) -> dict:
    """The case when the principal may act on it: in scope, theirs (handlers), escalations for officers."""
    case = await visible_case(session, principal, case_id, for_update=True)
    if not may_act(principal, case):
        raise Problem(403, "Forbidden", "Handlers act only on cases assigned to them or their team.",
                      assignee=case["assignee"], team=case["team"])
    if case["status"] == Status.ESCALATED and not can(principal, "cases:escalate_receive"):
        raise forbidden("cases:escalate_receive")
    return case


async def revealable_case(session, principal: Principal, case_id: str) -> dict:
    """The case when the principal may see its complainant's personal data (scope, role, ownership)."""
    if not can(principal, "pii:reveal"):
        raise forbidden("pii:reveal")
    case = await visible_case(session, principal, case_id)
    if not may_act(principal, case):
        # Need to know: a handler reveals only for the cases they (or their team) work on.
        raise Problem(403, "Forbidden", "Handlers reveal personal data only of cases assigned to them or their team.",
                      assignee=case["assignee"], team=case["team"])
    return case


def audit_scope(principal: Principal) -> ColumnElement[bool] | None:
    """Audit entries about cases, users and orgs of the principal's subtree (None: the head office sees all).

    Failed logins for unknown usernames name no subject, so only the head office sees them.
    """
    if at_root(principal):
        return None
    scoped_orgs = select(orgs.c.code).where(in_scope(principal, orgs.c.path))
    subject = audit_log.c.subject_id
    return or_(
        and_(audit_log.c.subject_type == "case",
             subject.in_(select(cases.c.complaint_id).where(in_scope(principal, cases.c.org_path)))),
        and_(audit_log.c.subject_type == "user",
             subject.in_(select(users.c.id).where(users.c.org_code.in_(scoped_orgs)))),
        and_(audit_log.c.subject_type == "org", subject.in_(scoped_orgs)),
    )
