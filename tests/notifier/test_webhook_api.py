"""Webhook subscriptions as data: CRUD over HTTP, the secret shown once, rotation, redelivery."""

from sqlalchemy import select

from notifier.models import webhooks


async def test_the_secret_is_shown_on_creation_and_never_again(api):
    created = (await api.post("/v1/webhooks", json={"url": "https://bank.example/hook",
                                                    "branches": ["B001"], "severities": ["high"]})).json()
    assert created["secret"].startswith("whsec_")
    assert created["branches"] == ["B001"] and created["enabled"] is True
    shown = (await api.get(f"/v1/webhooks/{created['webhook_id']}")).json()
    listed = (await api.get("/v1/webhooks")).json()
    assert "secret" not in shown and all("secret" not in w for w in listed)
    assert [w["webhook_id"] for w in listed] == [created["webhook_id"]]


async def test_update_changes_filters_and_leaves_the_rest(api):
    created = (await api.post("/v1/webhooks", json={"url": "https://bank.example/hook"})).json()
    patched = await api.patch(f"/v1/webhooks/{created['webhook_id']}",
                              json={"event_types": ["kesu.sla.breached.v1"], "url": None})
    assert patched.status_code == 200
    assert patched.json()["event_types"] == ["kesu.sla.breached.v1"]
    assert patched.json()["url"] == "https://bank.example/hook"


async def test_rotation_returns_a_new_secret_and_keeps_the_old_one_for_the_grace_period(api, notifier):
    created = (await api.post("/v1/webhooks", json={"url": "https://bank.example/hook"})).json()
    rotated = (await api.post(f"/v1/webhooks/{created['webhook_id']}:rotate-secret", json={"grace_s": 3600})).json()
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    async with notifier.unit_of_work() as uow:
        row = (await uow.session.execute(select(webhooks))).mappings().one()
    assert (row["secret"], row["previous_secret"]) == (rotated["secret"], created["secret"])


async def test_delete_removes_the_subscription(api):
    created = (await api.post("/v1/webhooks", json={"url": "https://bank.example/hook"})).json()
    assert (await api.delete(f"/v1/webhooks/{created['webhook_id']}")).status_code == 204
    assert (await api.get(f"/v1/webhooks/{created['webhook_id']}")).status_code == 404
    assert (await api.delete(f"/v1/webhooks/{created['webhook_id']}")).status_code == 404


async def test_invalid_urls_are_rejected_as_problems(api):
    response = await api.post("/v1/webhooks", json={"url": "not a url"})
    assert response.status_code == 422


async def test_unknown_notifications_are_404(api):
    assert (await api.get("/v1/notifications/nope/attempts")).status_code == 404
    assert (await api.post("/v1/notifications/nope:redeliver")).status_code == 404
