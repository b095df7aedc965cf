"""Who may see and act on which case: org scope, and handlers limited to their own or their team's cases."""

from __future__ import annotations

from services.cases import store
from services.cases.security import Principal, Role, can, forbidden, path_in_scope
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
