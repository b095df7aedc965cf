"""Where duplicate linking meets the database: each new complaint's candidates, fetched for a whole batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from intake import duplicates
from intake.identity import Resolution
from intake.models import complaints
from shared.uow import UnitOfWork

if TYPE_CHECKING:
    from intake.handlers import Prepared

# As many of a person's latest complaints as one new complaint is compared with.
CANDIDATES_PER_COMPLAINT = 50
NO_WINDOW = datetime(1900, 1, 1, tzinfo=timezone.utc)


async def matches(uow: UnitOfWork, items: Sequence[Prepared], resolution: Resolution,
                  policy: duplicates.Policy) -> list[duplicates.Match | None]:
    """The earlier complaint each item duplicates, if any; earlier items of the same batch count as earlier."""
    stored = await _stored_candidates(uow, items, resolution, policy)
    in_batch: dict[str, list[duplicates.Candidate]] = defaultdict(list)
    found: list[duplicates.Match | None] = []
    for item, ref in zip(items, resolution.refs):
        match = _match(item, stored.get(ref, []) + in_batch[ref], policy) if ref else None
        if ref and match is None:
            # Only a complaint that is not itself a duplicate is a candidate (as in the stored query).
            in_batch[ref].append(duplicates.Candidate(item.complaint_id, item.content,
                                                      item.complaint.product_hint, item.received_at))
        found.append(match)
    return found


def _match(item: Prepared, candidates: list[duplicates.Candidate],
           policy: duplicates.Policy) -> duplicates.Match | None:
    transfer = item.complaint.regulator_transfer is not None
    if not transfer:
        # A transfer is compared with every open complaint of the person, whatever its age.
        since = item.received_at - policy.window
        candidates = [c for c in candidates if c.received_at >= since]
    latest = sorted(candidates, key=lambda c: c.received_at, reverse=True)[:CANDIDATES_PER_COMPLAINT]
    return duplicates.find_duplicate(item.content, item.complaint.product_hint, item.received_at, latest, policy,
                                     regulator_transfer=transfer)


def _stored_query():
    latest = func.row_number().over(partition_by=complaints.c.complainant_ref,
                                    order_by=complaints.c.received_at.desc()).label("latest")
    ranked = select(complaints.c.id, complaints.c.content, complaints.c.product_hint, complaints.c.received_at,
                    complaints.c.sla_state, complaints.c.complainant_ref, latest).where(
        complaints.c.complainant_ref.in_(bindparam("refs", expanding=True)), complaints.c.duplicate_of.is_(None),
        complaints.c.received_at >= bindparam("since")).subquery()
    return select(ranked).where(ranked.c.latest <= CANDIDATES_PER_COMPLAINT)


# Built once: constructing this statement per batch cost more CPU than running it.
_STORED = _stored_query()


async def _stored_candidates(uow: UnitOfWork, items: Sequence[Prepared], resolution: Resolution,
                             policy: duplicates.Policy) -> dict[str, list[duplicates.Candidate]]:
    """Per known complainant, their latest complaints that are not duplicates (one query; none for new people)."""
    known = [(item, ref) for item, ref in zip(items, resolution.refs) if ref and ref not in resolution.created]
    if not known:
        return {}
    parameters = {"refs": sorted({ref for _, ref in known}), "since": _earliest_window_start(known, policy)}
    found: dict[str, list[duplicates.Candidate]] = defaultdict(list)
    # Unpacked by position (the query's column order): a Row's attribute lookups by name cost more CPU.
    for complaint_id, content, hint, received_at, sla_state, ref, _ in (await uow.session.execute(_STORED, parameters)):
        found[ref].append(duplicates.Candidate(complaint_id, content, hint, received_at, sla_state))
    return found


def _earliest_window_start(known: list[tuple[Prepared, str]], policy: duplicates.Policy) -> datetime:
    # Each complaint's window starts at its own received_at - window; the newest 50 rows at or after the
    # earliest start hold every complaint's newest 50 within its own window. A transfer has no window.
    if any(item.complaint.regulator_transfer is not None for item, _ in known):
        return NO_WINDOW
    return min(item.received_at for item, _ in known) - policy.window
