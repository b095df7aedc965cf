"""Complainant resolution: one pseudonymous complainant_ref per person across channels."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, tuple_, update

from intake.models import complainants, identifiers
from intake.schemas import ComplainantIn, ComplaintCreate
from intake.vault import blind_index
from shared.db import insert_ignoring_returning
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


@dataclass(frozen=True)
class Resolution:
    """The complainant_ref of each complaint (None without identifiers) and which refs are new."""

    refs: list[str | None]
    created: frozenset[str]


async def resolve(uow: UnitOfWork, found: list[tuple[str, str]]) -> str | None:
    """The complainant_ref these identifiers belong to, creating one (and its index rows) if new."""
    return (await resolve_all(uow, [found])).refs[0]


async def resolve_all(uow: UnitOfWork, wanted: list[list[tuple[str, str]]]) -> Resolution:
    """Resolve several complaints' identifiers at once, as if one after the other (same person twice: one ref)."""
    every = sorted({digest for found in wanted for digest in found})
    if not every:
        return Resolution([None] * len(wanted), frozenset())
    known = await _refs(uow, every)
    refs, owner = _assign(wanted, known)
    existing = set(known.values())
    created = {ref for ref in refs if ref and ref not in existing}
    missing = {digest: ref for digest, ref in owner.items() if digest not in known}
    await _create(uow, created)
    indexed = await _index(uow, missing)
    # Only a ref created here gives way; an existing one keeps its complaints whatever was lost.
    lost = [digest for digest in missing if digest not in indexed and missing[digest] in created]
    followed = await _follow_winners(uow, lost, missing)
    refs = [followed.get(ref, ref) for ref in refs]
    return Resolution(refs, frozenset(created - set(followed)))


def _assign(wanted: list[list[tuple[str, str]]], known: dict[tuple[str, str], str]) -> tuple[list, dict]:
    """Each complaint's ref in order; identifiers not yet known go to the first complaint that brought them."""
    owner = dict(known)  # grows with the refs created here, so a later complaint of the same person finds them
    refs: list[str | None] = []
    for found in wanted:
        ref = next((owner[d] for d in found if d in owner), None) if found else None
        if found and ref is None:
            # Random, not derived from the identifiers: a ref reveals nothing even to someone holding them.
            ref = "cr_" + secrets.token_hex(16)
        for digest in found:
            owner.setdefault(digest, ref)
        refs.append(ref)
    return refs, owner


# Built once: constructing a statement per call cost more CPU than running it.
_REFS = select(identifiers.c.kind, identifiers.c.digest, identifiers.c.complainant_ref).where(
    tuple_(identifiers.c.kind, identifiers.c.digest).in_(bindparam("found", expanding=True)))


async def _refs(uow: UnitOfWork, found: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    rows = (await uow.session.execute(_REFS, {"found": found})).all()
    return {(r.kind, r.digest): r.complainant_ref for r in rows}


_INSERT_COMPLAINANTS = insert(complainants)


async def _create(uow: UnitOfWork, created: set[str]) -> None:
    if created:
        now = uow.clock.now()
        await uow.session.execute(_INSERT_COMPLAINANTS, [{"ref": ref, "created_at": now} for ref in sorted(created)])


async def _index(uow: UnitOfWork, missing: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """Add index rows; the ones a concurrent transaction added first are not ours (not returned)."""
    if not missing:
        return set()
    now = uow.clock.now()
    # Sorted, so two transactions indexing the same identifiers lock them in the same order.
    rows = [{"kind": kind, "digest": digest, "complainant_ref": ref, "created_at": now}
            for (kind, digest), ref in sorted(missing.items())]
    statement = _index_statement(uow.session.bind)
    return {(r.kind, r.digest) for r in (await uow.session.execute(statement, rows)).all()}


def _index_statement(bind):
    return insert_ignoring_returning(bind, identifiers, identifiers.c.kind, identifiers.c.digest)


async def _follow_winners(uow: UnitOfWork, lost: list[tuple[str, str]],
                          missing: dict[tuple[str, str], str]) -> dict[str, str]:
    """A concurrent first complaint of the same person indexed them first: our new refs follow its ref."""
    if not lost:
        return {}
    winners = await _refs(uow, lost)
    followed: dict[str, str] = {}
    for digest in lost:
        ours, theirs = missing[digest], winners.get(digest)
        if theirs and theirs != ours and ours not in followed:
            followed[ours] = theirs
    for ours, theirs in followed.items():
        await uow.session.execute(update(identifiers).where(identifiers.c.complainant_ref == ours)
                                  .values(complainant_ref=theirs))
        await uow.session.execute(delete(complainants).where(complainants.c.ref == ours))
    return followed
