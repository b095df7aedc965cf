"""Staff users over HTTP: admin-only, scoped to the admin's subtree, policy-checked, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.cases.models import audit_log
from tests.cases.staff_fixtures import password_for, staff_env

NON_ADMIN_ROLES = ("handler", "team_lead", "branch_head", "complaint_officer", "auditor")


@pytest.fixture
async def env(database_url, tmp_path):
    """A head-office admin, a Beijing-branch admin and one user of every other role at head office."""
    async with staff_env(database_url, tmp_path) as env:
        await env.add_user("root-admin", "admin", "HO")
        await env.add_user("bj-admin", "admin", "BJ")
        for role in NON_ADMIN_ROLES:
            await env.add_user(f"ho-{role.replace('_', '-')}", role, "HO")
        yield env


def _new_user(username: str = "new-handler", org_code: str = "BJ01", **overrides) -> dict:
    return {"username": username, "password": password_for(username), "role": "handler", "org_code": org_code,
            "team": "bj01-a", **overrides}


async def _audit_rows(env, action: str) -> list:
    async with env.service.unit_of_work() as uow:
        query = select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.seq)
        return (await uow.session.execute(query)).all()


async def test_admin_creates_a_valid_user_who_can_log_in_and_it_is_audited(env):
    await _invalid_users_are_422_naming_the_field(env)
    response = await env.client.post("/v1/users", json=_new_user(), headers=env.auth("bj-admin"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["org_path"] == "/HO/BJ/BJ01/" and body["active"] is True and "password_hash" not in body
    assert (await env.login("new-handler")).status_code == 200
    [row] = await _audit_rows(env, "user.create")
    assert (row.actor, row.subject_id, row.details["role"]) == ("bj-admin", body["id"], "handler")
    again = await env.client.post("/v1/users", json=_new_user(org_code="BJ"), headers=env.auth("bj-admin"))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "username"


async def test_every_other_role_is_forbidden_user_management(env):
    target = env.principals["bj-admin"].user_id
    for role in NON_ADMIN_ROLES:
        headers = env.auth(f"ho-{role.replace('_', '-')}")
        for response in (await env.client.post("/v1/users", json=_new_user(), headers=headers),
                         await env.client.get("/v1/users", headers=headers),
                         await env.client.get(f"/v1/users/{target}", headers=headers),
                         await env.client.patch(f"/v1/users/{target}", json={"team": "x"}, headers=headers)):
            assert response.status_code == 403, role
            assert response.json()["missing_permission"] == "users:manage"
    await _branch_admin_is_confined_to_the_branch_subtree(env)


async def _branch_admin_is_confined_to_the_branch_subtree(env):
    headers = env.auth("bj-admin")
    outside = await env.client.post("/v1/users", json=_new_user(org_code="SH01"), headers=headers)
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "org_code"
    listed = (await env.client.get("/v1/users", headers=headers)).json()["items"]
    assert [u["username"] for u in listed] == ["bj-admin"]
    head_office_user = env.principals["root-admin"].user_id
    assert (await env.client.get(f"/v1/users/{head_office_user}", headers=headers)).status_code == 404
    assert (await env.client.patch(f"/v1/users/{head_office_user}", json={"role": "handler"},
                                   headers=headers)).status_code == 404
    everyone = (await env.client.get("/v1/users?limit=500", headers=env.auth("root-admin"))).json()["items"]
    assert len(everyone) == 2 + len(NON_ADMIN_ROLES)


INVALID_USERS = [
    ({"password": "short-pw"}, "password"),
    ({"username": "long-username", "password": "Long-Username"}, "password"),  # the username, case aside
    ({"role": "superuser"}, "role"),
    ({"org_code": "NOWHERE"}, "org_code"),
    ({"username": "Bad Name!"}, "username"),
    ({"password": None}, "password"),
    ({"role": "complaint_officer"}, "role"),  # a head-office role, asked for in a sub-branch
]


async def _invalid_users_are_422_naming_the_field(env):
    for changes, field in INVALID_USERS:
        body = {**_new_user("new-handler"), **changes}
        response = await env.client.post("/v1/users", json=body, headers=env.auth("root-admin"))
        assert response.status_code == 422, (changes, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], changes
    assert (await env.login("new-handler")).status_code == 401  # nothing was created


async def test_update_and_deactivate_are_audited_and_lock_the_user_out(env):
    admin = env.auth("bj-admin")
    user_id = (await env.client.post("/v1/users", json=_new_user(), headers=admin)).json()["id"]
    login = (await env.login("new-handler")).json()
    patched = await env.client.patch(f"/v1/users/{user_id}", json={"role": "team_lead", "email": "a@b.cn"},
                                     headers=admin)
    assert patched.status_code == 200 and patched.json()["role"] == "team_lead"
    # The token still says "handler": refused until refreshed, then it carries the new role.
    stale = await env.client.get("/v1/me", headers={"Authorization": f"Bearer {login['access_token']}"})
    assert stale.status_code == 401 and "changed" in stale.json()["detail"]
    login = (await env.client.post("/v1/auth/refresh", data={"refresh_token": login["refresh_token"]})).json()
    user_headers = {"Authorization": f"Bearer {login['access_token']}"}
    assert "pii:reveal" in (await env.client.get("/v1/me", headers=user_headers)).json()["permissions"]
    deactivated = await env.client.post(f"/v1/users/{user_id}:deactivate", headers=admin)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (await env.client.get("/v1/me", headers=user_headers)).status_code == 401
    refresh = await env.client.post("/v1/auth/refresh", data={"refresh_token": login["refresh_token"]})
    assert refresh.status_code == 401
    assert (await env.login("new-handler")).status_code == 401
    updates = await _audit_rows(env, "user.update")
    assert [r.details["changed"] for r in updates] == [["email", "role"], ["active"]]
    assert "a@b.cn" not in str(updates[0].details)  # contact data is named, not copied into the log
    await _admin_cannot_deactivate_themselves(env)


async def _admin_cannot_deactivate_themselves(env):
    me = env.principals["bj-admin"].user_id
    response = await env.client.patch(f"/v1/users/{me}", json={"active": False}, headers=env.auth("bj-admin"))
    assert response.status_code == 409
