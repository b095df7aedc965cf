"""Webhook delivery over HTTP: signed body, timeout, Retry-After honoured."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class DeliveryResult:
    """What one attempt did."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after_s: float | None = None


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``, hex, as sent in ``Kesu-Signature``."""
    return "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def post_webhook(
    client: httpx.AsyncClient, url: str, payload: dict, *, secret: bytes, idempotency_key: str, timeout_s: float
) -> DeliveryResult:
    """POST one signed notification; 2xx is success, anything else is a failed attempt."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "Idempotency-Key": idempotency_key,
        "Kesu-Timestamp": timestamp,
        "Kesu-Signature": signature(secret, timestamp, body),
    }
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
    if value and value.strip().isdigit():
        return float(value.strip())
    return None
