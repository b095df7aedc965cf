"""The request-timing middleware: one observation per request, labelled by route template and status."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from shared.http import Problem, install_operational_routes, install_problem_handlers

METRIC = "kesu_http_request_duration_seconds"
STREAM_PAUSE_S = 0.2


def observed(method: str, route: str, status: str) -> tuple[float, float]:
    """(count, sum of seconds) recorded so far for these labels."""
    labels = {"method": method, "route": route, "status": status}
    count = REGISTRY.get_sample_value(f"{METRIC}_count", labels) or 0.0
    return count, REGISTRY.get_sample_value(f"{METRIC}_sum", labels) or 0.0


@pytest.fixture
def client() -> TestClient:
    """An app with the shared problem handlers, operational routes and probe routes."""
    app = FastAPI()
    install_problem_handlers(app)
    install_operational_routes(app, [])

    @app.get("/timing-probe/{item}")
    async def item(item: int) -> dict:
        if item == 0:
            raise Problem(404, "Not found", "no item 0")
        if item == 1:
            raise RuntimeError("a bug")
        return {"item": item}

    @app.get("/timing-probe-stream")
    async def stream() -> StreamingResponse:
        async def chunks():
            yield b"first,"
            await asyncio.sleep(STREAM_PAUSE_S)
            yield b"second"
        return StreamingResponse(chunks(), media_type="text/plain")

    return TestClient(app, raise_server_exceptions=False)


def test_a_request_is_counted_under_its_route_template_and_status(client):
    before = observed("GET", "/timing-probe/{item}", "200")
    assert client.get("/timing-probe/7").json() == {"item": 7}
    assert client.get("/timing-probe/8").status_code == 200
    assert observed("GET", "/timing-probe/{item}", "200")[0] == before[0] + 2


def test_problems_and_validation_errors_are_counted_with_their_status(client):
    not_found = observed("GET", "/timing-probe/{item}", "404")
    invalid = observed("GET", "/timing-probe/{item}", "422")
    assert client.get("/timing-probe/0").headers["content-type"] == "application/problem+json"
    assert client.get("/timing-probe/abc").status_code == 422
    assert observed("GET", "/timing-probe/{item}", "404")[0] == not_found[0] + 1
    assert observed("GET", "/timing-probe/{item}", "422")[0] == invalid[0] + 1


def test_an_unknown_path_is_counted_as_unmatched(client):
    before = observed("GET", "unmatched", "404")
    assert client.get("/no-such-route").status_code == 404
    assert observed("GET", "unmatched", "404")[0] == before[0] + 1


def test_an_unhandled_exception_still_answers_500_and_is_counted_as_500(client):
    before = observed("GET", "/timing-probe/{item}", "500")
    assert client.get("/timing-probe/1").status_code == 500
    assert observed("GET", "/timing-probe/{item}", "500")[0] == before[0] + 1


def test_a_streamed_response_arrives_whole_and_its_duration_covers_the_body(client):
    count, seconds = observed("GET", "/timing-probe-stream", "200")
    assert client.get("/timing-probe-stream").text == "first,second"
    after_count, after_seconds = observed("GET", "/timing-probe-stream", "200")
    assert after_count == count + 1
    assert after_seconds - seconds >= STREAM_PAUSE_S
