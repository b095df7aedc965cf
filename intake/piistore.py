"""Reading the vault: masked views, audited reveals, and re-encryption under a new key."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update

from intake.models import PII_FIELDS, pii, pii_reveals
from intake.vault import MASKS, Sealed, Vault
from shared.uow import UnitOfWork

PERSONAL = ("name", "id_number", "phone", "email", "address", "customer_id", "agent_name", "agent_phone")


async def _opened(uow: UnitOfWork, vault: Vault, complaint_id: str, fields: tuple[str, ...]) -> dict[str, str] | None:
    row = (await uow.session.execute(select(pii).where(pii.c.complaint_id == complaint_id))).first()
    if row is None:
        return None
    opened = {"id_type": row.id_type} if row.id_type else {}
    for name in fields:
        blob = getattr(row, name)
        if blob is not None:
            opened[name] = vault.open(Sealed(row.key_id, blob), context=f"{complaint_id}:{name}")
    return opened


async def masked(uow: UnitOfWork, vault: Vault, complaint_id: str) -> dict[str, str] | None:
    """The complainant's identifiers as responses show them by default: masked."""
    opened = await _opened(uow, vault, complaint_id, ("name", "id_number", "phone", "email", "customer_id"))
    if not opened:
        return None
    return {name: (MASKS[name](value) if name in MASKS else value) for name, value in opened.items()}


async def reveal(uow: UnitOfWork, vault: Vault, complaint_id: str, *, api_key_id: str, actor: str,
                 reason: str) -> dict[str, str] | None:
    """The clear personal data of a complaint, with the reveal recorded in the same transaction."""
    opened = await _opened(uow, vault, complaint_id, PERSONAL + ("subject", "content"))
    if opened is None:
        return None
    await uow.session.execute(insert(pii_reveals).values(
        id=str(uuid.uuid4()), complaint_id=complaint_id, api_key_id=api_key_id, actor=actor, reason=reason,
        fields=sorted(opened), revealed_at=uow.clock.now()))
    return opened


async def rotate_batch(uow: UnitOfWork, vault: Vault, limit: int = 500) -> int:
    """Re-seal up to ``limit`` rows still under an old key with the active key; returns how many."""
    query = select(pii).where(pii.c.key_id != vault.active_key_id).limit(limit)
    rows = (await uow.session.execute(query.with_for_update(skip_locked=True))).all()
    for row in rows:
        values = {name: vault.reseal(Sealed(row.key_id, getattr(row, name)), context=f"{row.complaint_id}:{name}").blob
                  for name in PII_FIELDS if getattr(row, name) is not None}
        await uow.session.execute(update(pii).where(pii.c.complaint_id == row.complaint_id)
                                  .values(key_id=vault.active_key_id, **values))
    return len(rows)
