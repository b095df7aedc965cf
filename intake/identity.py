"""Complainant resolution: one pseudonymous complainant_ref per person across channels."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select, tuple_, update

from intake.models import complainants, identifiers
from intake.schemas import ComplainantIn, ComplaintCreate
from intake.vault import blind_index
from shared.db import upsert_insert
from shared.uow import UnitOfWork

# Strongest first: when identifiers point at different complainants, the first one found wins.
KINDS = ("id_number", "customer_id", "phone")


def digests(key: bytes, complainant: ComplainantIn | None) -> list[tuple[str, str]]:
    """(kind, keyed hash) of each identifier that names a person, strongest first."""
    if complainant is None:
        return []
    values = {
        "id_number": complainant.id_number and f"{complainant.id_type}:{complainant.id_number}",
        "customer_id": complainant.customer_id,
        "phone": complainant.phone,
    }
    return [(kind, blind_index(key, kind, values[kind])) for kind in KINDS if values[kind]]


def pii_values(complaint: ComplaintCreate) -> dict[str, str]:
    """The fields the vault seals, by column name (only those given)."""
    person, agent = complaint.complainant, complaint.agent
    values = {"content": complaint.content, "subject": complaint.subject}
    if person:
        values |= {"name": person.name, "id_number": person.id_number, "phone": person.phone,
                   "email": person.email, "address": person.address, "customer_id": person.customer_id}
    if agent:
        values |= {"agent_name": agent.name, "agent_phone": agent.phone}
    return {name: value for name, value in values.items() if value}


def known_values(complaint: ComplaintCreate) -> list[tuple[str, str]]:
    """(value, label) pairs redaction removes from the text: whatever the channel told us about the people."""
    labels = {"name": "NAME", "id_number": "ID_NUMBER", "phone": "PHONE", "email": "EMAIL",
              "address": "ADDRESS", "customer_id": "CUSTOMER_ID", "agent_name": "NAME", "agent_phone": "PHONE"}
    values = pii_values(complaint)
    return [(values[name], label) for name, label in labels.items() if name in values]


async def resolve(uow: UnitOfWork, found: list[tuple[str, str]]) -> str | None:
    """The complainant_ref these identifiers belong to, creating one (and its index rows) if new."""
    if not found:
        return None
    known = await _refs(uow, found)
    ref = next((known[d] for d in found if d in known), None)
    if ref is None:
        ref = await _new_complainant(uow)
    await _index(uow, ref, [d for d in found if d not in known])
    if ref in known.values():
        return ref
    # A concurrent first complaint of the same person may have indexed them first: follow it.
    winner = next((r for d, r in (await _refs(uow, found)).items() if r != ref), None)
    if winner:
        await uow.session.execute(update(identifiers).where(identifiers.c.complainant_ref == ref)
                                  .values(complainant_ref=winner))
        await uow.session.execute(delete(complainants).where(complainants.c.ref == ref))
        return winner
    return ref


async def _refs(uow: UnitOfWork, found: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    query = select(identifiers.c.kind, identifiers.c.digest, identifiers.c.complainant_ref).where(
        tuple_(identifiers.c.kind, identifiers.c.digest).in_(found))
    return {(r.kind, r.digest): r.complainant_ref for r in (await uow.session.execute(query)).all()}


async def _new_complainant(uow: UnitOfWork) -> str:
    # Random, not derived from the identifiers: a ref reveals nothing even to someone holding them.
    ref = "cr_" + secrets.token_hex(16)
    await uow.session.execute(insert(complainants).values(ref=ref, created_at=uow.clock.now()))
    return ref


async def _index(uow: UnitOfWork, ref: str, missing: list[tuple[str, str]]) -> None:
    if not missing:
        return
    rows = [{"kind": k, "digest": d, "complainant_ref": ref, "created_at": uow.clock.now()} for k, d in missing]
    await uow.session.execute(upsert_insert(uow.session.bind, identifiers).values(rows).on_conflict_do_nothing())
