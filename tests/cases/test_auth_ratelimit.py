"""Login rate limiting per username and per client address, kept in the database."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from services.cases.models import login_attempts
from tests.cases.staff_fixtures import staff_env


@pytest.fixture
async def env(database_url, tmp_path):
    """Five failures per username, eight per client, per 15 minutes; users in two branches."""
    async with staff_env(database_url, tmp_path, login_max_failures=5, login_max_client_failures=8,
                         login_window_s=900) as env:
        await env.add_user("hana", "handler", "BJ01")
        await env.add_user("sam", "handler", "SH01")
        yield env


async def _fail(env, username: str, times: int, step: timedelta = timedelta(seconds=10)) -> None:
    for _ in range(times):
        assert (await env.login(username, "not-the-password-1")).status_code == 401
        env.clock.advance(step)


async def test_five_failures_lock_the_username_until_they_age_out_or_a_success(env):
    await _fail(env, "hana", 5)
    locked = await env.login("hana")  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    # The first failure was 50 s ago; it ages out of the 15-minute window in 850 s.
    assert locked.headers["retry-after"] == "850"
    env.clock.advance(timedelta(seconds=849))
    assert (await env.login("hana")).status_code == 429
    env.clock.advance(timedelta(seconds=1))
    assert (await env.login("hana")).status_code == 200
    # A success resets the username's count, not the client's.
    env.clock.advance(timedelta(hours=1))  # a clean window
    await _fail(env, "hana", 4)
    assert (await env.login("hana")).status_code == 200
    await _fail(env, "hana", 3)
    assert (await env.login("hana")).status_code == 200
    await _fail(env, "sam", 1)  # the client's eighth failure in the window
    assert (await env.login("hana")).status_code == 429


async def test_one_client_guessing_many_usernames_is_limited_and_old_attempts_pruned(env):
    for name in ("a-user", "b-user", "c-user", "d-user", "e-user", "f-user", "g-user", "h-user"):
        await _fail(env, name, 1)
    assert (await env.login("sam")).status_code == 429
    # Another address is not affected by this client's failures.
    other = httpx.ASGITransport(app=env.client._transport.app, client=("10.0.0.2", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://cases") as client:
        form = {"grant_type": "password", "username": "sam", "password": "sam-Pa55word-ok"}
        assert (await client.post("/v1/auth/token", data=form)).status_code == 200
    # Attempts older than the window are deleted as new ones arrive.
    env.clock.advance(timedelta(hours=1))
    assert (await env.login("sam")).status_code == 200
    async with env.service.unit_of_work() as uow:
        remaining = (await uow.session.execute(select(func.count()).select_from(login_attempts))).scalar()
    assert remaining == 1  # only the fresh success
