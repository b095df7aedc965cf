"""The org tree: paths, shape rules, subtree scoping against real rows, the API and YAML import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.cases import orgs
from services.cases.models import audit_log
from services.cases.models import orgs as orgs_table
from services.cases.security import Principal, Role, in_scope
from tests.cases.staff_fixtures import ORG_TREE, staff_env


@pytest.fixture
async def env(database_url, tmp_path):
    """The org tree plus a branch BJ0 whose code extends BJ's (scoping must not confuse them)."""
    async with staff_env(database_url, tmp_path) as env:
        async with env.service.unit_of_work() as uow:
            await orgs.create_org(uow.session, code="BJ0", name="北京零分行", kind="branch", parent_code="HO",
                                  now=env.clock.now())
        await env.add_user("root-admin", "admin", "HO")
        await env.add_user("bj-admin", "admin", "BJ")
        await env.add_user("bj-handler", "handler", "BJ01")
        yield env


def _principal(code: str, path: str) -> Principal:
    return Principal(user_id="u", username="u", role=Role.HANDLER, org_code=code, org_path=path, team=None)


SUBTREES = {
    ("HO", "/HO/"): {"HO", "BJ", "BJ01", "BJ0", "SH", "SH01"},
    ("BJ", "/HO/BJ/"): {"BJ", "BJ01"},
    ("BJ01", "/HO/BJ/BJ01/"): {"BJ01"},
    ("SH", "/HO/SH/"): {"SH", "SH01"},
}


async def test_in_scope_selects_the_subtree_of_real_rows_by_path(env):
    async with env.service.unit_of_work() as uow:
        for (code, path), visible in SUBTREES.items():
            query = select(orgs_table.c.code).where(in_scope(_principal(code, path), orgs_table.c.path))
            assert set((await uow.session.execute(query)).scalars()) == visible, code
    # Paths are materialised from the parent's.
    async with env.service.unit_of_work() as uow:
        rows = {r.code: r.path for r in (await uow.session.execute(select(orgs_table))).all()}
        assert await orgs.org_path(uow.session, "SH01") == "/HO/SH/SH01/"
    assert rows["BJ01"] == "/HO/BJ/BJ01/" and rows["BJ0"] == "/HO/BJ0/" and len(rows) == len(ORG_TREE) + 1


SHAPE_ERRORS = [
    ({"code": "GZ", "name": "广州分行", "kind": "branch", "parent_code": "BJ"}, 422, "parent_code"),
    ({"code": "GZ01", "name": "广州支行", "kind": "sub_branch", "parent_code": "HO"}, 422, "parent_code"),
    ({"code": "GZ", "name": "广州分行", "kind": "branch"}, 422, "parent_code"),
    ({"code": "HO2", "name": "第二总行", "kind": "head_office"}, 409, "kind"),
    ({"code": "gz_1", "name": "广州", "kind": "branch", "parent_code": "HO"}, 422, "code"),
    ({"code": "GZ", "name": "广州", "kind": "region", "parent_code": "HO"}, 422, "kind"),
    ({"code": "BJ", "name": "北京", "kind": "branch", "parent_code": "HO"}, 409, "code"),
    ({"code": "GZ", "name": "广州", "kind": "branch", "parent_code": "NOPE"}, 422, "parent_code"),
]


async def _tree_shape_errors_name_the_field(env):
    for body, status, field in SHAPE_ERRORS:
        response = await env.client.post("/v1/orgs", json=body, headers=env.auth("root-admin"))
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field, body


async def test_admin_creates_orgs_in_their_subtree_only_and_it_is_audited(env):
    await _tree_shape_errors_name_the_field(env)
    created = await env.client.post("/v1/orgs", json={"code": "BJ02", "name": "北京海淀支行", "kind": "sub_branch",
                                                      "parent_code": "BJ"}, headers=env.auth("bj-admin"))
    assert created.status_code == 201 and created.json()["path"] == "/HO/BJ/BJ02/"
    outside = await env.client.post("/v1/orgs", json={"code": "SH02", "name": "上海", "kind": "sub_branch",
                                                      "parent_code": "SH"}, headers=env.auth("bj-admin"))
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "parent_code"
    async with env.service.unit_of_work() as uow:
        rows = (await uow.session.execute(select(audit_log).where(audit_log.c.action == "org.create"))).all()
    assert [(r.actor, r.subject_id, r.details["path"]) for r in rows] == [("bj-admin", "BJ02", "/HO/BJ/BJ02/")]
    await _staff_read_their_subtree_but_only_admins_create(env)


async def _staff_read_their_subtree_but_only_admins_create(env):
    headers = env.auth("bj-handler")
    listed = await env.client.get("/v1/orgs", headers=headers)
    assert [o["code"] for o in listed.json()["items"]] == ["BJ01"]
    assert (await env.client.get("/v1/orgs/BJ01", headers=headers)).status_code == 200
    assert (await env.client.get("/v1/orgs/SH", headers=headers)).status_code == 404
    for role in ("handler", "team_lead", "branch_head", "complaint_officer", "auditor"):
        username = f"ho-{role.replace('_', '-')}"
        await env.add_user(username, role, "HO")
        refused = await env.client.post("/v1/orgs", json={"code": "BJ03", "name": "x", "kind": "sub_branch",
                                                          "parent_code": "BJ"}, headers=env.auth(username))
        assert refused.status_code == 403 and refused.json()["missing_permission"] == "orgs:manage", role
    everything = await env.client.get("/v1/orgs", headers=env.auth("root-admin"))
    items = everything.json()["items"]
    assert sorted(o["code"] for o in items) == ["BJ", "BJ0", "BJ01", "BJ02", "HO", "SH", "SH01"]
    position = {o["code"]: index for index, o in enumerate(items)}
    assert all(position[o["parent_code"]] < position[o["code"]] for o in items if o["parent_code"])
