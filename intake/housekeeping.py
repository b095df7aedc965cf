"""Background housekeeping for intake: idempotency records expire after their retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, select, tuple_

from intake import models
from intake.settings import IntakeSettings
from shared.service import Service
from shared.uow import UnitOfWork

log = structlog.get_logger()


async def purge_idempotency(uow: UnitOfWork, before: datetime, *, limit: int) -> int:
    """Delete up to ``limit`` idempotency records created before ``before``; returns how many went."""
    table = models.idempotency
    oldest = (select(table.c.api_key_id, table.c.idempotency_key)
              .where(table.c.created_at < before).order_by(table.c.created_at).limit(limit))
    statement = delete(table).where(tuple_(table.c.api_key_id, table.c.idempotency_key).in_(oldest))
    result = await uow.session.execute(statement)
    return result.rowcount or 0


async def purge_until_done(service: Service, settings: IntakeSettings) -> int:
    """Purge expired records in small transactions, so writers never wait long behind the purge."""
    before = service.clock.now() - timedelta(hours=settings.idempotency_retention_hours)
    total = 0
    while True:
        async with service.unit_of_work() as uow:
            purged = await purge_idempotency(uow, before, limit=settings.idempotency_purge_batch)
        total += purged
        if purged < settings.idempotency_purge_batch:
            if total:
                log.info("idempotency records purged", count=total)
            return total
