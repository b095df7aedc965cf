"""Human reference numbers: KS-YYYYMMDD-NNNNNN, unique and increasing within a day."""

from __future__ import annotations

import functools

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.models import daily_sequence
from shared.uow import UnitOfWork

_COUNTER = text(
    "INSERT INTO intake_daily_sequence (day, last) VALUES (:day, :count) "
    "ON CONFLICT (day) DO UPDATE SET last = intake_daily_sequence.last + :count RETURNING last")
_DAYS_WITH_SEQUENCE: set[tuple[str, str]] = set()


def format_reference(day: str, number: int) -> str:
    """The printed form of the ``number``-th complaint of ``day``."""
    return f"KS-{day}-{number:06d}"


async def allocate(uow: UnitOfWork, day: str, count: int) -> list[str]:
    """``count`` new references of ``day`` in increasing order, taken with one statement.

    SQLite: a counter row, bumped by ``count`` inside the transaction (its write lock is held anyway).
    PostgreSQL: one sequence per day. ``nextval`` takes no row lock and is not rolled back, so
    concurrent intakes never wait for each other (the counter row held its lock until commit
    and capped intake near 30/s); the price is a gap when a transaction fails after taking numbers.
    """
    if count == 0:
        return []
    if uow.session.bind.dialect.name != "postgresql":
        last = (await uow.session.execute(_COUNTER, {"day": day, "count": count})).scalar_one()
        numbers = range(last - count + 1, last + 1)
    else:
        await _ensure_day_sequence(uow.session.bind, day)
        numbers = sorted((await uow.session.execute(_next_numbers(day), {"count": count})).scalars())
    return [format_reference(day, number) for number in numbers]


@functools.lru_cache(maxsize=8)  # one statement per day, built once (today's, and yesterday's around midnight)
def _next_numbers(day: str):
    return text(f"SELECT nextval('intake_ref_{day}') FROM generate_series(1, :count)")


async def _ensure_day_sequence(engine: AsyncEngine, day: str) -> None:
    # Created on first use, outside the caller's transaction; it continues a counter row left
    # for the same day by the row-based allocator (the day this version is deployed).
    if (str(engine.url), day) in _DAYS_WITH_SEQUENCE or not day.isdigit():
        return
    async with engine.connect() as conn:
        last = (await conn.execute(select(daily_sequence.c.last).where(daily_sequence.c.day == day))).scalar()
        try:
            await conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS intake_ref_{day} START WITH {int(last or 0) + 1}"))
            await conn.commit()
        except IntegrityError:
            pass  # IF NOT EXISTS is not atomic: a concurrent request created it first
    _DAYS_WITH_SEQUENCE.add((str(engine.url), day))
