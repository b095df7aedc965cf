"""Who may call which notifier route: staff access tokens (shared/staff.py) and "only your own" rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.staff import Principal, StaffGate, can, forbidden, staff_with


def _gate(request: Request) -> StaffGate:
    return request.app.state.notifier.staff


def _staff(permission: str | None) -> object:
    return Depends(staff_with(permission, _gate))


AnyStaff = Annotated[Principal, _staff(None)]
LogReader = Annotated[Principal, _staff("notifications:read")]
LogManager = Annotated[Principal, _staff("notifications:manage")]
WebhookAdmin = Annotated[Principal, _staff("webhooks:manage")]
DirectoryAdmin = Annotated[Principal, _staff("directory:manage")]


def own_or(principal: Principal, username: str, permission: str | None) -> None:
    """403 unless ``username`` is the caller, or the caller's role grants ``permission``."""
    if username == principal.username:
        return
    if permission is None or not can(principal, permission):
        raise forbidden(permission or "self")


def usernames_for(principal: Principal, asked: list[str] | None) -> list[str] | None:
    """The usernames a caller may count: any with notifications:read, else only their own."""
    if can(principal, "notifications:read"):
        return asked
    for name in asked or []:
        own_or(principal, name, "notifications:read")
    return [principal.username]
