"""The look-back six months after closure: did the complainant come back with another complaint?"""

from __future__ import annotations

from sqlalchemy import select

from services.cases import store, timeline
from services.cases.models import cases
from shared.db import is_postgres
from shared.uow import UnitOfWork

LOOKBACK_DONE = "kesu.case.lookback_checked"


async def _returns(session, case) -> list[str]:
    """Other cases of the same complainant received after this one was closed."""
    if not case.complainant_ref:
        return []
    query = select(cases.c.complaint_id).where(
        cases.c.complainant_ref == case.complainant_ref, cases.c.complaint_id != case.complaint_id,
        cases.c.received_at > case.closed_at).order_by(cases.c.received_at)
    return list((await session.execute(query)).scalars())


async def run_due(uow: UnitOfWork, *, limit: int) -> int:
    """Check every case whose look-back is due; each is checked once (the result is recorded)."""
    now = uow.clock.now()
    query = (select(cases).where(cases.c.lookback_due_at <= now, cases.c.lookback_done_at.is_(None))
             .order_by(cases.c.lookback_due_at).limit(limit))
    if is_postgres(uow.session.bind):
        query = query.with_for_update(skip_locked=True)
    due = (await uow.session.execute(query)).all()
    for case in due:
        returned = await _returns(uow.session, case)
        await store.change(uow.session, case.complaint_id, now=now, lookback_done_at=now,
                           lookback_returned=bool(returned))
        await timeline.add(uow.session, case.complaint_id, kind=LOOKBACK_DONE, source=uow.source, occurred_at=now,
                           data={"returned": bool(returned), "later_cases": returned,
                                 "closed_at": case.closed_at.isoformat()})
    return len(due)
