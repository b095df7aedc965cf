"""``kesu import FILE``: CSV and JSON-lines history, re-runs skip what is already there."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from intake import models
from intake.cli import app, import_history
from intake.settings import IntakeSettings
from tests.intake.conftest import start_intake

CSV = """channel,external_ref,received_at,complainant.name,complainant.phone,product_hint,content
letter,L-1,2026-10-01T09:00:00+08:00,张三,13812345678,credit_card,信用卡年费被乱收，要求退还。
letter,L-2,2026-10-02T09:00:00+08:00,李四,12345,mortgage,房贷利率未下调。
letter,L-3,2026-10-03T09:00:00+08:00,王五,13700002222,,
"""


def test_csv_history_is_imported_with_rejects_reported_by_line(tmp_path):
    source = tmp_path / "history.csv"
    source.write_text(CSV, encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["import", str(source), "--data-dir", str(tmp_path / "data")])
    assert first.exit_code == 1, first.output
    assert "imported 1, skipped 0 already present, rejected 2" in first.stdout
    rejects = [json.loads(line) for line in first.stderr.splitlines()]
    assert [(r["line"], r["errors"][0]["field"]) for r in rejects] == [(3, "complainant.phone"), (4, "content")]
    again = runner.invoke(app, ["import", str(source), "--data-dir", str(tmp_path / "data")])
    assert "imported 0, skipped 1 already present" in again.stdout


async def test_json_lines_history_lands_with_its_received_at_and_sealed_pii(tmp_path):
    source = tmp_path / "history.jsonl"
    lines = [{"channel": "email", "external_ref": f"E-{n}", "received_at": "2026-09-01T10:00:00+08:00",
              "complainant": {"phone": "13812345678"}, "content": f"历史投诉 {n}"} for n in range(3)]
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n{broken\n")
    report = await import_history(source, IntakeSettings(bus="memory", database_url=None, data_dir=tmp_path / "data"))
    assert (report.imported, [e["line"] for e in report.errors]) == (3, [4])
    intake = await start_intake(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kesu.sqlite'}")
    try:
        rows = await intake.rows(models.complaints)
        assert {r.received_at.isoformat() for r in rows} == {"2026-09-01T02:00:00+00:00"}
        assert len({r.complainant_ref for r in rows}) == 1 and rows[0].complainant_ref
        assert len(await intake.rows(models.pii)) == 3
    finally:
        await intake.engine.dispose()
