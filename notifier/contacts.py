"""The complainant's e-mail and phone, fetched from intake's PII vault when a message is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import httpx

REVEAL_REASON = "Send the complainant a notification required by the complaint procedure (kesu notifier)"


@dataclass(frozen=True)
class Contact:
    """How to reach a complainant; either may be missing."""

    email: str | None = None
    phone: str | None = None


class ContactUnavailable(Exception):
    """Intake could not be asked right now (network, 5xx, auth): the attempt is retried."""


class ContactResolver(Protocol):
    """Anything that finds a complainant's contact by complaint id (None: intake has no such complaint)."""

    async def contact(self, complaint_id: str) -> Contact | None: ...


class HttpContactResolver:
    """Asks intake ``POST /v1/complaints/{id}/pii:reveal`` with a key holding scope ``pii:reveal``.

    Intake audits every reveal (actor, reason, key). Nothing revealed is kept here except the one
    address a message goes to, on that message's row.
    """

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0, actor: str = "kesu-notifier") -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._timeout_s = timeout_s
        self._actor = actor

    async def contact(self, complaint_id: str) -> Contact | None:
        """The complainant's email and phone; raises ContactUnavailable when intake cannot answer."""
        url = f"{self._base_url}/v1/complaints/{complaint_id}/pii:reveal"
        try:
            # A client per call: lookups are rare (one per customer message) and nothing needs closing.
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                response = await client.post(url, headers=self._headers,
                                             json={"actor": self._actor, "reason": REVEAL_REASON})
        except httpx.HTTPError as exc:
            raise ContactUnavailable(f"intake unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ContactUnavailable(f"intake answered HTTP {response.status_code} to pii:reveal")
        pii = response.json().get("pii") or {}
        return Contact(email=pii.get("email"), phone=pii.get("phone"))


def mask(address: str) -> str:
    """An address as the API shows it: 138****5678, a***@example.com."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", address)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "***"
