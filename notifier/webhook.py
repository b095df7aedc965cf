"""Webhook delivery over HTTP: signed body, timeout, Retry-After honoured."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class DeliveryResult:
    """What one attempt did."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after_s: float | None = None
    # A failure no retry can fix (no contact on record, no resolver configured): final at once.
    permanent: bool = False
    # The address actually used, when it was only known at delivery (the complainant's contact).
    recipient: str | None = None
    # Not attempted: try again at this instant (an SMS to a customer during quiet hours).
    defer_until: datetime | None = None


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``, hex, as sent in ``Kesu-Signature``."""
    return "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def post_webhook(
    client: httpx.AsyncClient, url: str, payload: dict, *, secrets: Sequence[bytes], idempotency_key: str,
    timeout_s: float,
) -> DeliveryResult:
    """POST one signed notification; 2xx is success, anything else is a failed attempt."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "Idempotency-Key": idempotency_key,
        "Kesu-Timestamp": timestamp,
        # During a secret rotation both signatures are sent, so receivers on either secret accept.
        "Kesu-Signature": ",".join(signature(secret, timestamp, body) for secret in secrets),
    }
    return await post_once(client, url, body, headers=headers, timeout_s=timeout_s)


async def post_once(client: httpx.AsyncClient, url: str, body: bytes, *, headers: dict[str, str],
                    timeout_s: float) -> DeliveryResult:
    """One HTTP delivery attempt: 2xx is success; anything else fails, honouring ``Retry-After``."""
    started = time.perf_counter()
    try:
        response = await client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}", _ms(started))
    if 200 <= response.status_code < 300:
        return DeliveryResult(True, response.status_code, None, _ms(started))
    return DeliveryResult(False, response.status_code, f"HTTP {response.status_code}", _ms(started),
                          _retry_after(response.headers.get("retry-after")))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
