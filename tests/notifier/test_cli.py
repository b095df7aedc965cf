"""The notifier's commands: checking rules files and importing the staff directory."""

import asyncio

from typer.testing import CliRunner

from notifier import directory
from notifier.cli import notifier_app
from notifier.main import build
from notifier.settings import NotifierSettings
from shared.db import create_engine
from shared.clock import SystemClock
from tests.integration.fakes import RecordingBus

RUNNER = CliRunner()


def test_rules_check_accepts_the_packaged_rules_and_names_the_bad_field(tmp_path):
    assert RUNNER.invoke(notifier_app, ["rules", "check"]).stdout.strip().endswith("rules OK")
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\nrules: []\n")
    result = RUNNER.invoke(notifier_app, ["rules", "check", str(bad)])
    assert result.exit_code == 1 and "time_limits: Field required" in result.stderr


def test_directory_import_upserts_entries_and_rejects_bad_ones(tmp_path):
    seed = tmp_path / "staff.yaml"
    seed.write_text("wang:\n  display_name: 王\n  role: team_lead\n  org_code: B001\n  email: wang@bank.example\n")
    result = RUNNER.invoke(notifier_app, ["directory", "import", str(seed), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    seed.write_text("wang:\n  role: team_lead\n")
    rejected = RUNNER.invoke(notifier_app, ["directory", "import", str(seed), "--data-dir", str(tmp_path)])
    assert rejected.exit_code == 1 and "wang.display_name: Field required" in rejected.stderr
    assert asyncio.run(stored(tmp_path, "wang"))["email"] == "wang@bank.example"


async def stored(data_dir, username: str) -> dict | None:
    settings = NotifierSettings(database_url=None, data_dir=data_dir)
    engine = create_engine(settings.resolved_database_url())
    try:
        service = build(settings, engine=engine, bus=RecordingBus(), clock=SystemClock())
        async with service.unit_of_work() as uow:
            return await directory.get(uow, username)
    finally:
        await engine.dispose()
