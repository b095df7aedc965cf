"""Rows a transaction inserts together: queued by the handlers, then written with one statement per
table just before the transaction next reads that table, or at COMMIT.

A batch of events in one transaction then costs one INSERT per table instead of one per row.
Whoever reads a table that has queued rows must call ``write`` first (see rollup.read_clocks).
"""

from __future__ import annotations

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.db import pending_until_commit

QUEUES = "sla_queued_rows"


def add(session: AsyncSession, table: Table, row: dict) -> None:
    """Queue a row for insertion in this session's transaction (every row of a table has the same keys)."""
    pending_until_commit(session, QUEUES, _write_all).setdefault(table, []).append(row)


async def write(session: AsyncSession, table: Table) -> None:
    """Insert the rows queued for a table now, so a query that follows sees them."""
    rows = session.info.get(QUEUES, {}).pop(table, None)
    if rows:
        await session.execute(insert(table), rows)


def _write_all(session: Session, queues: dict) -> None:
    for table, rows in queues.items():
        if rows:
            session.execute(insert(table), rows)
