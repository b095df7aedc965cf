"""Staff login: OAuth2 password and refresh grants, expiry, rotation, logout, hashing, secrets."""

from __future__ import annotations

import stat
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from services.cases import tokens
from services.cases.models import audit_log, users
from services.cases.security import PERMISSIONS, Role
from shared import staff
from tests.cases.staff_fixtures import TEST_JWT_SECRET, staff_env, staff_settings


@pytest.fixture
async def env(database_url, tmp_path):
    """The staff app on a fresh database, with one handler in BJ01."""
    async with staff_env(database_url, tmp_path) as env:
        await env.add_user("hana", "handler", "BJ01", team="bj01-a")
        yield env


async def _actions(env) -> list[tuple[str, str]]:
    async with env.service.unit_of_work() as uow:
        rows = (await uow.session.execute(select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.seq)))
        return [tuple(r) for r in rows]


async def test_password_login_issues_tokens_with_the_documented_claims(env):
    response = await env.login("hana")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="kesu-staff",
                        options={"verify_exp": False})
    assert {k: claims[k] for k in ("username", "role", "org", "org_path", "team", "iss")} == {
        "username": "hana", "role": "handler", "org": "BJ01", "org_path": "/HO/BJ/BJ01/", "team": "bj01-a",
        "iss": "kesu/cases"}
    assert claims["sub"] == env.principals["hana"].user_id and claims["jti"]
    assert claims["exp"] - claims["iat"] == 900 and claims["iat"] == int(env.clock.now().timestamp())
    me = await env.client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "hana"
    assert "password_hash" not in me.json() and "cases:decide" in me.json()["permissions"]
    assert ("hana", "auth.login") in await _actions(env)


async def _bad_credentials_are_401_problem_and_audited(env):
    for username, password in (("hana", "wrong-password-123"), ("nobody", "whatever-pass-1")):
        response = await env.login(username, password)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["error"] == "invalid_grant" and "access_token" not in response.json()
        assert (username, "auth.login_failed") in await _actions(env)


async def _missing_form_fields_are_named(env):
    response = await env.client.post("/v1/auth/token", data={"grant_type": "password", "username": "hana"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "password"
    response = await env.client.post("/v1/auth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "grant_type"


async def test_login_failures_and_malformed_requests(env):
    await _bad_credentials_are_401_problem_and_audited(env)
    await _missing_form_fields_are_named(env)


async def test_access_tokens_expire_by_the_injected_clock_and_forgeries_fail(env):
    await _forged_and_missing_tokens_are_refused(env)
    headers = env.auth("hana")
    env.clock.advance(timedelta(minutes=14, seconds=59))
    assert (await env.client.get("/v1/me", headers=headers)).status_code == 200
    env.clock.advance(timedelta(seconds=1))
    expired = await env.client.get("/v1/me", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert expired.headers["www-authenticate"].startswith("Bearer")


async def _forged_and_missing_tokens_are_refused(env):
    forged = jwt.encode({"sub": env.principals["hana"].user_id, "role": "admin"}, "another-secret-of-32-characters!",
                        algorithm="HS256")
    assert (await env.client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
    assert (await env.client.get("/v1/me")).status_code == 401
    unsigned = jwt.encode({"sub": "x"}, None, algorithm="none")
    assert (await env.client.get("/v1/me", headers={"Authorization": f"Bearer {unsigned}"})).status_code == 401


async def _refresh(env, token: str):
    return await env.client.post("/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token})


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(env):
    first = (await env.login("hana")).json()["refresh_token"]
    second = await _refresh(env, first)
    assert second.status_code == 200
    second_token = second.json()["refresh_token"]
    assert second_token != first
    third = await env.client.post("/v1/auth/refresh", data={"refresh_token": second_token})
    assert third.status_code == 200
    # The first token was rotated away: replaying it is theft, so every token of the login dies.
    replay = await _refresh(env, first)
    assert replay.status_code == 401 and "reuse" in replay.json()["detail"]
    assert (await _refresh(env, third.json()["refresh_token"])).status_code == 401
    # Another login (another family) is unaffected.
    other = (await env.login("hana")).json()["refresh_token"]
    assert (await _refresh(env, other)).status_code == 200
    # Refresh tokens live eight hours.
    last = (await env.login("hana")).json()["refresh_token"]
    env.clock.advance(timedelta(hours=8))
    response = await _refresh(env, last)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_logout_and_deactivation_end_sessions(env):
    body = (await env.login("hana")).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    response = await env.client.post("/v1/auth/logout", data={"refresh_token": body["refresh_token"]}, headers=headers)
    assert response.status_code == 204
    assert (await _refresh(env, body["refresh_token"])).status_code == 401
    assert ("hana", "auth.logout") in await _actions(env)
    # A deactivated user is locked out at once: access token, refresh token and password.
    body = (await env.login("hana")).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with env.service.unit_of_work() as uow:
        await uow.session.execute(users.update().where(users.c.username == "hana").values(active=False))
    assert (await env.client.get("/v1/me", headers=headers)).status_code == 401
    assert (await _refresh(env, body["refresh_token"])).status_code == 401
    assert (await env.login("hana")).status_code == 401


async def _stored_hash(env, username: str) -> str:
    async with env.service.unit_of_work() as uow:
        return (await uow.session.execute(select(users.c.password_hash).where(users.c.username == username))).scalar()


async def test_passwords_are_argon2id_and_rehashed_at_login_when_the_cost_changes(database_url, tmp_path):
    async with staff_env(database_url, tmp_path, argon2_memory_cost_kib=2048) as env:
        await env.add_user("hana", "handler", "BJ01")  # hashed with the fixtures' m=1024
        before = await _stored_hash(env, "hana")
        assert before.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert (await env.login("hana")).status_code == 200
        after = await _stored_hash(env, "hana")
        assert after.startswith("$argon2id$v=19$m=2048,t=1,p=1$") and after != before
        assert (await env.login("hana")).status_code == 200
        assert await _stored_hash(env, "hana") == after  # current parameters: left alone


def test_generated_jwt_secret_is_persisted_privately_and_reused(tmp_path):
    settings = staff_settings("sqlite+aiosqlite://", tmp_path, jwt_secret=None)
    secret = tokens.jwt_secret(settings)
    path = tmp_path / staff.SECRET_FILE
    assert len(secret) >= 48 and path.read_text() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    staff._persisted_secret.cache_clear()  # as another process would: read back from the file
    assert tokens.jwt_secret(staff_settings("sqlite+aiosqlite://", tmp_path, jwt_secret=None)) == secret
    # Verifying services read the key the issuer generated, and never generate one of their own.
    assert staff.signing_key(staff_settings("sqlite+aiosqlite://", tmp_path, jwt_secret=None), create=False) == secret
    elsewhere = staff_settings("sqlite+aiosqlite://", tmp_path / "other-host", jwt_secret=None)
    assert staff.signing_key(elsewhere, create=False) is None and not (tmp_path / "other-host").exists()
    with pytest.raises(ValueError, match="at least 32"):
        tokens.jwt_secret(staff_settings("sqlite+aiosqlite://", tmp_path, jwt_secret="short"))


def test_permission_table_is_the_contract():
    # Handlers reveal personal data only of their own cases (checked per case, see test_pii_reveal).
    handler = {"cases:read", "cases:work", "cases:extend", "cases:decide", "cases:reclassify", "pii:reveal",
               "sla:read", "classify:try"}
    lead = handler | {"cases:assign", "notifications:read"}
    head = lead | {"cases:approve_extension"}
    assert {role: set(perms) for role, perms in PERMISSIONS.items()} == {
        Role.HANDLER: handler, Role.TEAM_LEAD: lead, Role.BRANCH_HEAD: head,
        Role.COMPLAINT_OFFICER: head | {"cases:escalate_receive", "audit:read", "notifications:manage"},
        Role.AUDITOR: {"cases:read", "audit:read", "audit:verify", "sla:read", "notifications:read"},
        Role.ADMIN: {"users:manage", "orgs:manage", "audit:read", "audit:verify", "sla:read", "notifications:read",
                     "notifications:manage", "webhooks:manage", "directory:manage", "classify:try"},
    }
