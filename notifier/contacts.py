"""The complainant's e-mail and phone, fetched from intake's PII vault when a message is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from shared.pii_reveal import PiiRevealClient, RevealUnavailable

REVEAL_REASON = "Send the complainant a notification required by the complaint procedure (kesu notifier)"


@dataclass(frozen=True)
class Contact:
    """How to reach a complainant; either may be missing."""

    email: str | None = None
    phone: str | None = None


# The notifier retries a message whose contact lookup failed; the shared client's error is that case.
ContactUnavailable = RevealUnavailable


class ContactResolver(Protocol):
    """Anything that finds a complainant's contact by complaint id (None: intake has no such complaint)."""

    async def contact(self, complaint_id: str) -> Contact | None: ...


class HttpContactResolver:
    """Asks intake's audited reveal with a key holding scope ``pii:reveal`` (shared.pii_reveal).

    Intake audits every reveal (actor, reason, key). Nothing revealed is kept here except the one
    address a message goes to, on that message's row.
    """

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0, actor: str = "kesu-notifier") -> None:
        self._client = PiiRevealClient(base_url, api_key, timeout_s=timeout_s)
        self._actor = actor

    async def contact(self, complaint_id: str) -> Contact | None:
        """The complainant's email and phone; raises ContactUnavailable when intake cannot answer."""
        pii = await self._client.reveal(complaint_id, actor=self._actor, reason=REVEAL_REASON)
        if pii is None:
            return None
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
