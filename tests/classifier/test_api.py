"""`POST /v1/classify`: a dry run for staff holding classify:try, with problem+json errors."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from classifier.api import ClassifierContext, router
from classifier.settings import ClassifierSettings
from shared.clock import SystemClock
from shared.http import install_problem_handlers
from shared.staff import StaffGate
from tests.staff_tokens import staff_headers


@pytest.fixture
async def api(classifier):
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.classifier = ClassifierContext(classifier, StaffGate(ClassifierSettings(), SystemClock()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://classifier") as client:
        yield client


async def test_a_handler_gets_codes_with_their_explanation_and_versions(api, classifier):
    response = await api.post("/v1/classify", headers=staff_headers("handler"),
                              json={"text": "信用卡年费被乱扣了六百元，要求退还。", "channel": "social_media"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["business_line"] == "credit_card" and "media_exposure" in body["flags"]
    assert body["explanation"] and body["model_version"] == classifier.model_version


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (staff_headers("auditor"), 403)])
async def test_without_a_token_or_the_permission_it_is_refused(api, headers, status):
    response = await api.post("/v1/classify", headers=headers, json={"text": "信用卡年费"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_empty_text_is_422_naming_the_field(api):
    response = await api.post("/v1/classify", headers=staff_headers("admin"), json={"text": ""})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["text"]
