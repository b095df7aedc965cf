"""Reading and writing case rows (the projection table and its SLA clocks)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update

from services.cases.models import case_clocks, cases, orgs
from shared.db import is_postgres, upsert_insert

# Cases without a running clock sort after every dated one (keyset pagination needs a value).
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=timezone.utc)
RUNNING_CLOCK_STATES = ("running", "breached")


async def get(session, complaint_id: str, *, for_update: bool = False) -> dict | None:
    """One case as a dict, optionally locked for the rest of the transaction (PostgreSQL)."""
    query = select(cases).where(cases.c.complaint_id == complaint_id)
    if for_update and is_postgres(session.bind):
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return dict(row._mapping) if row else None


async def org_path_for(session, branch_code: str | None) -> str:
    """The org-tree path of a branch code; unknown or missing branches belong to the root unit."""
    if branch_code:
        path = (await session.execute(select(orgs.c.path).where(orgs.c.code == branch_code))).scalar()
        if path:
            return path
    root = (await session.execute(select(orgs.c.path).where(orgs.c.parent_code.is_(None))
                                  .order_by(orgs.c.path).limit(1))).scalar()
    return root or "/"


async def ensure(session, complaint_id: str, *, now: datetime) -> dict:
    """The case row, created in state ``received`` if no event about it has arrived yet."""
    statement = upsert_insert(session.bind, cases).values(
        complaint_id=complaint_id, org_path=await org_path_for(session, None), status="received",
        status_changed_at=now, due_sort=FAR_FUTURE, flags=",", group_size=1, breached=False, warning_level=0,
        mediation_offered=False, reviewed=False, created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=[cases.c.complaint_id])
    await session.execute(statement)
    return await get(session, complaint_id, for_update=True)


async def change(session, complaint_id: str, *, now: datetime, **values) -> None:
    """Update a case's columns and its ``updated_at``."""
    await session.execute(update(cases).where(cases.c.complaint_id == complaint_id)
                          .values(updated_at=now, **values))


async def refresh_due(session, complaint_id: str, *, now: datetime) -> None:
    """Set the case's due instant to the earliest due of its running clocks."""
    due = (await session.execute(
        select(func.min(case_clocks.c.due_at)).where(case_clocks.c.complaint_id == complaint_id,
                                                    case_clocks.c.state.in_(RUNNING_CLOCK_STATES)))).scalar()
    await change(session, complaint_id, now=now, due_at=due, due_sort=due or FAR_FUTURE)


def flags_text(flags: list[str]) -> str:
    """Flags stored as ",a,b," so one LIKE '%,flag,%' finds them on every backend."""
    return "," + "".join(f"{flag}," for flag in sorted(set(flags)))


def flags_list(text_value: str | None) -> list[str]:
    """The flags of a stored ",a,b," string."""
    return [flag for flag in (text_value or "").split(",") if flag]
