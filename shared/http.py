"""HTTP plumbing shared by every service: problem+json errors, health, metrics, request timing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import HTTP_SECONDS

PROBLEM_JSON = "application/problem+json"
ReadinessCheck = Callable[[], Awaitable[str | None]]


class Problem(Exception):
    """An RFC 9457 problem a route raises to answer with problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None, **extra: object) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}


def problem_response(status: int, title: str, detail: str | None = None, **extra: object) -> JSONResponse:
    """A problem+json response with the standard members and any extensions."""
    body = {"type": f"https://kesu.dev/problems/{status}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": "body" if err["type"] == "json_invalid" else _field_path(tuple(err["loc"])),
         "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    if any(err["type"] == "json_invalid" for err in errors):
        return problem_response(400, "Malformed JSON", "The request body is not valid JSON.", errors=errors)
    return problem_response(422, "Validation failed", f"{len(errors)} invalid field(s).", errors=errors)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    response = problem_response(exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail))
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


async def _problem(_request: Request, exc: Problem) -> JSONResponse:
    response = problem_response(exc.status, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error an RFC 9457 problem+json body naming the invalid fields."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Problem, _problem)


def install_operational_routes(app: FastAPI, checks: list[ReadinessCheck]) -> None:
    """/healthz (the process runs), /readyz (dependencies answer), /metrics (Prometheus)."""

    @app.get("/healthz", tags=["operations"], include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], include_in_schema=False)
    async def readyz() -> Response:
        failures = [problem for check in checks if (problem := await check())]
        if failures:
            return problem_response(503, "Not ready", "; ".join(failures))
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestTiming)


class RequestTiming:
    """Observes each HTTP request's duration by method, route template and status.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) runs the
    app in a task behind memory streams, which cost about a fifth of intake's CPU per request.
    The duration ends when the response has been sent (a streamed body included). A request
    that raises before answering is counted as a 500, the answer the server error handler gives.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            # The router put the matched route into this same scope dict.
            path = getattr(scope.get("route"), "path", "unmatched")
            HTTP_SECONDS.labels(scope["method"], path, str(status)).observe(time.perf_counter() - started)
