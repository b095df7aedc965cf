"""Rows a transaction inserts together: queued by the handlers, then written with one statement per
table just before the transaction next reads that table, or at COMMIT.

A batch of events in one transaction then costs one INSERT per table instead of one per row.
Whoever reads a table that has queued rows must call ``write`` first (see rollup.read_clocks).
"""

from __future__ import annotations

from sqlalchemy import Table, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

QUEUES = "sla_queued_rows"


def add(session: AsyncSession, table: Table, row: dict) -> None:
    """Queue a row for insertion in this session's transaction (every row of a table has the same keys)."""
    queues = session.info.get(QUEUES)
    if queues is None:
        queues = session.info[QUEUES] = {}
        event.listen(session.sync_session, "before_commit", _write_all, once=True)
    queues.setdefault(table, []).append(row)


async def write(session: AsyncSession, table: Table) -> None:
    """Insert the rows queued for a table now, so a query that follows sees them."""
    rows = session.info.get(QUEUES, {}).pop(table, None)
    if rows:
        await session.execute(insert(table), rows)


def _write_all(session: Session) -> None:
    for table, rows in session.info.pop(QUEUES, {}).items():
        if rows:
            session.execute(insert(table), rows)
