"""The case list (filters, text search, keyset pagination, org scope) and the case detail."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, tuple_

from services.cases import casework, store, timeline
from services.cases.models import case_clocks, cases, decisions, extensions, surveys
from services.cases.security import Principal, in_scope
from shared.http import Problem

Sort = Literal["due_at", "received_at", "-received_at"]
# Sort key column and direction of each sort; complaint_id breaks ties so the order is total.
SORTS = {"due_at": (cases.c.due_sort, False), "received_at": (cases.c.received_at, False),
         "-received_at": (cases.c.received_at, True)}


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to."""

    status: tuple[str, ...] = ()
    business_line: str | None = None
    severity: str | None = None
    flag: str | None = None
    branch: str | None = None
    assignee: str | None = None
    team: str | None = None
    channel: str | None = None
    due_within_hours: int | None = None
    breached: bool | None = None
    q: str | None = None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(flt: CaseFilter, now: datetime) -> list:
    """WHERE clauses of a filter (cases not yet received are not listed)."""
    found = [cases.c.received_at.is_not(None)]
    if flt.status:
        found.append(cases.c.status.in_(flt.status))
    for column, value in ((cases.c.business_line, flt.business_line), (cases.c.severity, flt.severity),
                          (cases.c.branch_code, flt.branch), (cases.c.assignee, flt.assignee),
                          (cases.c.team, flt.team), (cases.c.channel, flt.channel), (cases.c.breached, flt.breached)):
        if value is not None:
            found.append(column == value)
    if flt.flag:
        found.append(cases.c.flags.like(f"%,{_like_escape(flt.flag)},%", escape="\\"))
    if flt.due_within_hours is not None:
        found.append(cases.c.due_sort <= now + timedelta(hours=flt.due_within_hours))
    if flt.q:
        # PostgreSQL answers this from the pg_trgm GIN index; it works for Chinese (no word splitting).
        found.append(cases.c.content.ilike(f"%{_like_escape(flt.q)}%", escape="\\"))
    return found


def encode_cursor(sort: str, value: datetime, complaint_id: str) -> str:
    """An opaque cursor: the sort and the last row's sort key."""
    raw = json.dumps([sort, value.isoformat(), complaint_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, str]:
    """The sort key a cursor continues after; 422 when it is malformed or from another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, complaint_id = json.loads(raw)
        if cursor_sort != sort:
            raise ValueError("cursor from another sort")
        return datetime.fromisoformat(value), str(complaint_id)
    except (ValueError, TypeError) as exc:
        raise Problem(422, "Validation failed", "The cursor is not valid for this listing.",
                      errors=[{"field": "cursor", "message": str(exc), "type": "value_error"}]) from exc


async def list_cases(session, principal: Principal, flt: CaseFilter, *, sort: Sort, limit: int,
                     cursor: str | None, now: datetime) -> tuple[list[dict], str | None]:
    """A page of the cases in the principal's scope and the cursor of the next page (None at the end)."""
    column, descending = SORTS[sort]
    query = select(cases).where(*conditions(flt, now), in_scope(principal, cases.c.org_path))
    if cursor:
        value, complaint_id = decode_cursor(cursor, sort)
        key = tuple_(column, cases.c.complaint_id)
        query = query.where(key < (value, complaint_id) if descending else key > (value, complaint_id))
    order = (column.desc(), cases.c.complaint_id.desc()) if descending else (column, cases.c.complaint_id)
    rows = [dict(r._mapping) for r in (await session.execute(query.order_by(*order).limit(limit + 1))).all()]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    sort_value = last["due_sort"] if sort == "due_at" else last["received_at"]
    return rows[:limit], encode_cursor(sort, sort_value, last["complaint_id"])


async def _rows(session, table, complaint_id: str, order) -> list[dict]:
    query = select(table).where(table.c.complaint_id == complaint_id).order_by(order)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


async def detail(session, complaint_id: str) -> dict | None:
    """Everything the case page shows: the case, its clocks, decisions, extensions, notes and timeline."""
    case = await store.get(session, complaint_id)
    if case is None:
        return None
    survey_rows = await _rows(session, surveys, complaint_id, surveys.c.created_at)
    return {
        **case,
        "clocks": await _rows(session, case_clocks, complaint_id, case_clocks.c.due_at),
        "decisions": await _rows(session, decisions, complaint_id, decisions.c.issued_at),
        "extensions": await _rows(session, extensions, complaint_id, extensions.c.requested_at),
        "surveys": [{k: r[k] for k in ("channel", "score", "completed_at", "expires_at")} for r in survey_rows],
        "notes": await casework.notes_for(session, complaint_id),
        "attachments": await casework.attachments_for(session, complaint_id),
        "timeline": await timeline.for_case(session, complaint_id),
    }
