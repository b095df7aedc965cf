"""The case lifecycle: every state and every allowed transition, in one ``match`` (pure)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Workflow states; the names are those the SLA policies map (pause, stop, restart)."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    AWAITING_CUSTOMER = "awaiting_customer"
    EXTERNAL_APPRAISAL = "external_appraisal"
    MEDIATION = "mediation"
    ESCALATED = "escalated"
    DECISION_ISSUED = "decision_issued"
    CLOSED = "closed"
    REVIEW_REQUESTED = "review_requested"
    UNDER_REVIEW = "under_review"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"


S = Status
# Waiting on someone outside the bank; work resumes in investigating.
SIDE_STATES = frozenset({S.AWAITING_CUSTOMER, S.EXTERNAL_APPRAISAL, S.MEDIATION})
TERMINAL = frozenset({S.WITHDRAWN})
# States in which the complaint is still being handled (a decision is owed).
OPEN = frozenset(set(S) - {S.DECISION_ISSUED, S.CLOSED, S.WITHDRAWN})
# Reached only through their own action, which carries what the state needs.
VIA_ACTION = {S.ASSIGNED: ":assign", S.DECISION_ISSUED: ":decide"}


def allowed(current: Status, target: Status) -> bool:
    """True when the workflow permits moving a case from ``current`` to ``target``."""
    match (current, target):
        case (S.RECEIVED | S.REOPENED, S.ASSIGNED):
            return True
        case (S.ASSIGNED | S.REOPENED | S.ESCALATED, S.INVESTIGATING):
            return True
        case (S.INVESTIGATING, S.AWAITING_CUSTOMER | S.EXTERNAL_APPRAISAL | S.MEDIATION):
            return True
        case (S.AWAITING_CUSTOMER | S.EXTERNAL_APPRAISAL | S.MEDIATION, S.INVESTIGATING):
            return True
        case (S.ASSIGNED | S.INVESTIGATING, S.ESCALATED):
            return True
        case (S.INVESTIGATING | S.ESCALATED | S.UNDER_REVIEW, S.DECISION_ISSUED):
            return True
        case (S.DECISION_ISSUED, S.CLOSED):
            return True
        case (S.DECISION_ISSUED | S.CLOSED, S.REVIEW_REQUESTED):
            return True  # only within the review window: see review_window_open
        case (S.REVIEW_REQUESTED, S.UNDER_REVIEW):
            return True
        case (S.CLOSED, S.REOPENED):
            return True  # the complainant came back with new facts (Order 3 Art. 18 ¶3)
        case (source, S.WITHDRAWN):
            return source in OPEN  # withdrawal ends any open procedure (Art. 15)
        case _:
            return False


def targets(current: Status) -> list[Status]:
    """Every state a case in ``current`` may move to, in declaration order."""
    return [target for target in Status if allowed(current, target)]


def is_pause(status: Status) -> bool:
    """True for the states where the bank waits on the customer or a third party."""
    return status in SIDE_STATES
