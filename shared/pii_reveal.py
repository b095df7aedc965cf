"""A client of intake's audited reveal (``POST /v1/complaints/{id}/pii:reveal``), for the services that need it.

The notifier reads a complainant's address to send a message; the cases service shows clear
personal data to staff allowed to see it. Both ask intake, which keeps the only copy in its
vault and records every reveal (key, actor, reason); neither stores what it reads.
"""

from __future__ import annotations

import httpx


class RevealUnavailable(Exception):
    """Intake could not answer (network, timeout, 5xx, auth or scope): nothing was revealed."""


class PiiRevealClient:
    """Calls intake's reveal endpoint with an API key holding scope ``pii:reveal``."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._timeout_s = timeout_s

    async def reveal(self, complaint_id: str, *, actor: str, reason: str) -> dict[str, str] | None:
        """The complaint's clear personal data, None when intake has no such complaint.

        Raises RevealUnavailable for every other failure, so callers retry or report it instead
        of mistaking an outage for "no data".
        """
        url = f"{self._base_url}/v1/complaints/{complaint_id}/pii:reveal"
        try:
            # A client per call: reveals are rare (one per message or per staff request).
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                response = await client.post(url, headers=self._headers, json={"actor": actor, "reason": reason})
        except httpx.HTTPError as exc:
            raise RevealUnavailable(f"intake unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RevealUnavailable(f"intake answered HTTP {response.status_code} to pii:reveal")
        return response.json().get("pii") or {}
