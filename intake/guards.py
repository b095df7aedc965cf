"""What stands in front of intake's routes: body limits, media type, API keys, rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from intake import keys
from intake.keys import ApiKey
from intake.ratelimit import RateLimiter
from shared.http import Problem
from shared.service import Service


class KeyCache:
    """Live keys looked up in the database at most once per ``ttl_s`` (revocation takes up to that long)."""

    def __init__(self, service: Service, ttl_s: float) -> None:
        self._service = service
        self._ttl_s = ttl_s
        self._entries: dict[str, tuple[ApiKey, float]] = {}

    async def lookup(self, secret: str) -> ApiKey | None:
        """The key for a secret, or None; unknown secrets are not cached (a new key works at once)."""
        digest = keys.hash_api_key(secret)
        entry = self._entries.get(digest)
        if entry and entry[1] > time.monotonic():
            return entry[0]
        async with self._service.unit_of_work() as uow:
            found = await keys.key_for(uow, secret)
        if found:
            self._entries[digest] = (found, time.monotonic() + self._ttl_s)
        else:
            self._entries.pop(digest, None)
        return found


def bearer_secret(request: Request) -> str:
    """The key from ``Authorization: Bearer <key>``, or a 401 problem."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("Send the channel API key as 'Authorization: Bearer <key>'.")
    return secret.strip()


def unauthorized(detail: str) -> Problem:
    """A 401 problem that tells the client which scheme to use."""
    problem = Problem(401, "Unauthorized", detail)
    problem.headers["WWW-Authenticate"] = "Bearer"
    return problem


def enforce_rate(limiter: RateLimiter, key: ApiKey) -> None:
    """429 with Retry-After when this key used up its requests per second."""
    wait = limiter.check(key.id, time.monotonic(), key.rate_limit_per_s)
    if wait:
        rate = key.rate_limit_per_s or limiter.default_rate
        problem = Problem(429, "Too many requests",
                          f"This key's limit is {rate:g} requests per second; retry after {wait} s.")
        problem.headers["Retry-After"] = str(wait)
        raise problem


def _json_media_type(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def read_limited_body(request: Request, limit: int) -> None:
    """415 unless JSON; 413 beyond ``limit`` bytes, without reading more than that into memory."""
    if not _json_media_type(request):
        raise Problem(415, "Unsupported media type", "Send the body as JSON with 'Content-Type: application/json'.",
                      errors=[{"field": "Content-Type", "message": "must be application/json"}])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    request._body = bytes(body)  # Starlette reuses it when FastAPI parses the JSON


def _too_large(limit: int) -> Problem:
    return Problem(413, "Body too large", f"The body has more than {limit} bytes; split it (batches hold up to 1,000).",
                   errors=[{"field": "body", "message": f"at most {limit} bytes"}])


class LimitedJsonRoute(APIRoute):
    """A route whose request body must be JSON and no larger than the service allows."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Check the body before FastAPI parses it."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                settings = request.app.state.intake.settings
                batch = request.url.path.endswith(":batch")
                await read_limited_body(request, settings.max_batch_body_bytes if batch else settings.max_body_bytes)
            return await handler(request)

        return checked
