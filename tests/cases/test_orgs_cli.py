"""`kesu org import FILE.yaml` and `kesu audit verify` through Typer's CliRunner, on a real database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from services.cases.models import audit_log, orgs
from services.cases.staff_cli import audit_app, org_app
from shared.db import create_engine

TREE = """\
orgs:
  - {code: HO, name: 总行, kind: head_office}
  - {code: BJ, name: 北京分行, kind: branch, parent: HO}
  - {code: BJ01, name: 北京朝阳支行, kind: sub_branch, parent: BJ}
"""


@pytest.fixture
def cli(database_url, tmp_path):
    """Run a staff sub-app with the test database in the environment."""
    runner = CliRunner()
    env = {"KESU_CASES_DATABASE_URL": database_url, "KESU_DATA_DIR": str(tmp_path)}
    return lambda app, *args: runner.invoke(app, [str(a) for a in args], env=env)


def _run_sql(database_url: str, statement, *, fetch: bool = False):
    async def go():
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(statement)
                return result.all() if fetch else None
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_org_import_creates_the_tree_once_and_refuses_conflicts(cli, database_url, tmp_path):
    tree = tmp_path / "orgs.yaml"
    tree.write_text(TREE, encoding="utf-8")
    first = cli(org_app, "import", tree)
    assert first.exit_code == 0 and "created 3 org(s), 0 already present" in first.output
    tree.write_text(TREE + "  - {code: SH, name: 上海分行, kind: branch, parent: HO}\n", encoding="utf-8")
    again = cli(org_app, "import", tree)
    assert again.exit_code == 0 and "created 1 org(s), 3 already present" in again.output
    paths = dict(_run_sql(database_url, select(orgs.c.code, orgs.c.path), fetch=True))
    assert paths == {"HO": "/HO/", "BJ": "/HO/BJ/", "BJ01": "/HO/BJ/BJ01/", "SH": "/HO/SH/"}
    tree.write_text(TREE.replace("北京分行", "北京分行（改）") + "  - {code: GZ, name: 广州, kind: branch, parent: HO}\n",
                    encoding="utf-8")
    conflict = cli(org_app, "import", tree)
    assert conflict.exit_code == 1 and "orgs[1]" in conflict.output
    assert "GZ" not in dict(_run_sql(database_url, select(orgs.c.code, orgs.c.path), fetch=True))  # all or nothing


def test_org_import_rejects_a_malformed_file_before_touching_the_database(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just a list\n", encoding="utf-8")
    nowhere = {"KESU_CASES_DATABASE_URL": "postgresql+asyncpg://nowhere.invalid/x"}
    result = CliRunner().invoke(org_app, ["import", str(bad)], env=nowhere)
    assert result.exit_code == 1 and "a list 'orgs'" in result.output


def test_audit_verify_exits_0_when_intact_and_1_naming_the_bad_seq(cli, database_url, tmp_path):
    tree = tmp_path / "orgs.yaml"
    tree.write_text(TREE, encoding="utf-8")
    assert cli(org_app, "import", tree).exit_code == 0  # three org.create entries
    intact = cli(audit_app, "verify")
    assert intact.exit_code == 0 and "intact: 3 entries" in intact.output
    head = intact.output.split("head ")[1].strip()  # SEQ:HASH, to keep outside the database
    assert cli(audit_app, "verify", "--anchor", head).exit_code == 0
    assert cli(audit_app, "verify", "--anchor", "3:not-a-hash").exit_code == 2
    postgres = database_url.startswith("postgresql")
    if postgres:
        _run_sql(database_url, text("ALTER TABLE cases_audit_log DISABLE TRIGGER cases_audit_log_append_only"))
    _run_sql(database_url, text("DELETE FROM cases_audit_log WHERE seq = 3"))
    assert cli(audit_app, "verify").exit_code == 0  # a shorter chain is valid; only the anchor shows the cut
    truncated = cli(audit_app, "verify", "--anchor", head)
    assert truncated.exit_code == 1 and "removed from the end" in truncated.output
    _run_sql(database_url, update(audit_log).where(audit_log.c.seq == 2).values(subject_id="XX"))
    broken = cli(audit_app, "verify")
    assert broken.exit_code == 1 and "BROKEN at seq 2" in broken.output
