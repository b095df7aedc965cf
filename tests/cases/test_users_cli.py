"""`kesu user create` and `kesu org create` through Typer's CliRunner, against a real database."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from services.cases import passwords
from services.cases.models import audit_log, users
from services.cases.staff_cli import org_app, user_app
from shared.db import create_engine


@pytest.fixture
def cli(database_url, tmp_path):
    """Run a staff sub-app with the test database in the environment; the org tree HO → BJ."""
    runner = CliRunner()
    env = {"KESU_CASES_DATABASE_URL": database_url, "KESU_DATA_DIR": str(tmp_path)}

    def run(app, *args: str):
        return runner.invoke(app, list(args), env=env)

    created = run(org_app, "create", "--code", "HO", "--name", "总行", "--kind", "head_office")
    assert created.exit_code == 0 and "created org HO at /HO/" in created.output
    tree = tmp_path / "orgs.yaml"
    tree.write_text("orgs:\n  - {code: BJ, name: 北京分行, kind: branch, parent: HO}\n", encoding="utf-8")
    assert run(org_app, "import", str(tree)).exit_code == 0
    return run


def _query(database_url: str, statement):
    async def go():
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(statement)).all()
        finally:
            await engine.dispose()

    return asyncio.run(go())


REFUSALS = [
    (("--username", "weak", "--role", "handler", "--org", "BJ", "--password", "short"), "password"),
    (("--username", "x.user", "--role", "boss", "--org", "BJ"), "role"),
    (("--username", "y.user", "--role", "handler", "--org", "XX"), "org_code"),
]


def test_user_create_refuses_bad_input_then_stores_argon2id_and_audits(cli, database_url):
    for args, field in REFUSALS:
        refused = cli(user_app, "create", *args)
        assert refused.exit_code == 1 and f"error: {field}:" in refused.output, refused.output
    assert _query(database_url, select(users)) == []
    result = cli(user_app, "create", "--username", "li.lei", "--role", "team_lead", "--org", "BJ",
                 "--password", "a-long-enough-pw", "--team", "bj-a")
    assert result.exit_code == 0, result.output
    assert "li.lei (team_lead, /HO/BJ/)" in result.output and "shown once" not in result.output
    [row] = _query(database_url, select(users).where(users.c.username == "li.lei"))
    assert row.password_hash.startswith("$argon2id$") and row.team == "bj-a" and row.active
    assert passwords.verify_password(row.password_hash, "a-long-enough-pw")
    actions = [(r.action, r.subject_id) for r in _query(database_url, select(audit_log).order_by(audit_log.c.seq))]
    assert actions == [("org.create", "HO"), ("org.create", "BJ"), ("user.create", row.id)]


def test_user_create_without_a_password_prints_a_generated_one_once(cli, database_url):
    result = cli(user_app, "create", "--username", "han.mei", "--role", "handler", "--org", "BJ")
    assert result.exit_code == 0, result.output
    generated = re.search(r"password \(shown once\): (\S+)", result.output).group(1)
    assert len(generated) >= 20
    [row] = _query(database_url, select(users.c.password_hash).where(users.c.username == "han.mei"))
    assert passwords.verify_password(row.password_hash, generated)
    assert generated not in row.password_hash
