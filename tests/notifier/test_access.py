"""Who may call which notifier route: staff access tokens, role permissions and "only your own"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from notifier.main import build
from shared.clock import SystemClock
from tests.integration.fakes import RecordingBus
from tests.notifier.conftest import client_for, seed_staff
from tests.staff_tokens import staff_headers

WEBHOOK = {"url": "https://receiver.example/kesu", "event_types": ["kesu.complaint.received.v1"]}

# (role, method, path, body, expected status)
CASES = [
    ("handler", "GET", "/v1/notifications", None, 403),
    ("handler", "GET", "/v1/webhooks", None, 403),
    ("handler", "POST", "/v1/webhooks", WEBHOOK, 403),
    ("handler", "GET", "/v1/notifications/directory", None, 403),
    ("handler", "GET", "/v1/notifications/directory/officer.ho", None, 403),
    ("handler", "GET", "/v1/notifications/in-app/officer.ho", None, 403),
    ("team_lead", "GET", "/v1/notifications", None, 200),
    ("team_lead", "POST", "/v1/notifications/x:redeliver", None, 403),
    ("auditor", "GET", "/v1/notifications", None, 200),
    ("auditor", "GET", "/v1/notifications/in-app/officer.ho", None, 200),
    ("auditor", "DELETE", "/v1/webhooks/x", None, 403),
    ("complaint_officer", "POST", "/v1/notifications/x:redeliver", None, 404),
    ("complaint_officer", "PUT", "/v1/notifications/directory/x", {}, 403),
    ("admin", "POST", "/v1/webhooks", WEBHOOK, 201),
    ("admin", "GET", "/v1/notifications/directory", None, 200),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("role", "method", "path", "body", "status"), CASES)
async def test_each_role_reaches_what_its_permissions_allow(notifier, role, method, path, body, status):
    await seed_staff(notifier)
    async with client_for(notifier, role) as api:
        response = await api.request(method, path, json=body)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["missing_permission"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_staff_read_their_own_directory_entry_and_unread_count_only(notifier):
    await seed_staff(notifier)
    async with client_for(notifier, "handler", username="officer.ho") as own:
        assert (await own.get("/v1/notifications/directory/officer.ho")).status_code == 200
        counts = await own.get("/v1/notifications/unread-counts")
        assert [c["username"] for c in counts.json()] == ["officer.ho"]
        others = await own.get("/v1/notifications/unread-counts", params={"username": ["duty.ho"]})
        assert others.status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
    staff_headers("admin", secret="another-key-of-at-least-32-characters!!"),
    staff_headers("admin", valid_for=timedelta(hours=1)),  # issued a day ago: expired
    staff_headers("superuser"),
])
async def test_no_valid_token_is_401_with_a_bearer_challenge(notifier, headers):
    async with client_for(notifier, None) as api:
        response = await api.get("/v1/webhooks", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_service_without_the_signing_key_refuses_every_token(engine, settings_for, tmp_path):
    # Another host: no KESU_STAFF_JWT_SECRET and no key file in its data_dir. It must not invent one.
    lonely = build(settings_for(jwt_secret=None, data_dir=tmp_path / "other-host"), engine=engine, bus=RecordingBus(),
                   clock=SystemClock())
    async with client_for(lonely) as api:
        response = await api.get("/v1/webhooks")
    assert response.status_code == 401 and "KESU_STAFF_JWT_SECRET" in response.json()["detail"]
    assert not (tmp_path / "other-host").exists()
    configured = build(settings_for(jwt_secret=SecretStr("another-key-of-at-least-32-characters!!")), engine=engine,
                       bus=RecordingBus(), clock=SystemClock())
    async with client_for(configured, secret="another-key-of-at-least-32-characters!!") as api:
        assert (await api.get("/v1/webhooks")).status_code == 200
