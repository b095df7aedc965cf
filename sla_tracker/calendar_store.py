"""Calendar imports: validate an official schedule, store it, overlay it on the packaged data."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from shared.uow import UnitOfWork
from sla_tracker.calendar import BusinessCalendar, packaged_calendars, parse_days
from sla_tracker.models import calendar_imports


def validate(document: dict, known: dict[str, BusinessCalendar]) -> list[str]:
    """Problems that make an import unusable (empty when it is fine)."""
    problems = []
    if document.get("calendar") not in known:
        problems.append(f"unknown calendar {document.get('calendar')!r}; known: {', '.join(sorted(known))}")
    if not document.get("version"):
        problems.append("version is required (e.g. the notice's title or URL date)")
    try:
        days = parse_days(document.get("days", []))
    except (KeyError, ValueError) as exc:
        return problems + [f"bad day entry: {exc}"]
    years = {int(y) for y, info in document.get("years", {}).items() if info.get("status") == "confirmed"}
    outside = sorted({d.day.isoformat() for d in days if years and d.day.year not in years})
    if outside:
        problems.append(f"days outside the confirmed years: {', '.join(outside[:5])}")
    return problems


def overlay(base: BusinessCalendar, document: dict) -> BusinessCalendar:
    """A calendar with an import applied (confirmed years replace the base's entries)."""
    years = document.get("years", {})
    confirmed = [int(y) for y, info in years.items() if info.get("status") == "confirmed"]
    sources = {int(y): info.get("source_url") or "" for y, info in years.items()}
    return base.with_overrides(parse_days(document.get("days", [])), confirm=confirmed, sources=sources,
                               version=f"{base.version}+{document['version']}")


async def store(uow: UnitOfWork, document: dict) -> None:
    """Record an import; it applies in the service on its next calendar refresh."""
    await uow.session.execute(insert(calendar_imports).values(
        calendar=document["calendar"], version=document["version"], document=document, imported_at=uow.clock.now()))


async def import_count(uow: UnitOfWork) -> int:
    """How many imports exist (cheap check before reloading)."""
    return (await uow.session.execute(select(func.count()).select_from(calendar_imports))).scalar_one()


async def load(uow: UnitOfWork) -> dict[str, BusinessCalendar]:
    """The packaged calendars with every stored import applied in order."""
    calendars = packaged_calendars()
    rows = (await uow.session.execute(select(calendar_imports.c.document).order_by(calendar_imports.c.id))).scalars()
    for document in rows:
        calendars[document["calendar"]] = overlay(calendars[document["calendar"]], document)
    return calendars
