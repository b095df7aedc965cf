"""The Typer sub-app: classify JSON lines, evaluate a labelled file, write the CFPB split."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from classifier.cli import classifier_app

runner = CliRunner()


def test_classify_writes_one_line_per_input_with_the_promised_fields():
    lines = [{"id": "a", "text": "信用卡年费被乱收，要求退还"},
             {"id": "b", "text": "Debt collector calls me at work every day.", "language": "en"},
             {"id": "c", "text": "普通的一句话", "channel": "social_media"}, {"id": "d", "text": ""}]
    result = runner.invoke(classifier_app, ["classify"], input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    for o in out:
        assert {"id", "business_line", "cause", "flags", "emotion", "severity", "complexity", "confidence",
                "explanation"} <= set(o)
    assert out[1]["business_line"] == "debt_collection"
    assert "media_exposure" in out[2]["flags"]


def test_eval_prints_accuracy_macro_f1_and_confusion(tmp_path):
    data = tmp_path / "gold.jsonl"
    rows = [{"id": "1", "text": "信用卡年费被乱收，要求退还", "business_line": "credit_card", "flags": []},
            {"id": "2", "text": "催收天天打电话骚扰我家人，我不想活了", "business_line": "debt_collection",
             "flags": ["self_harm_or_violence"]}]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner.invoke(classifier_app, ["eval", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "business_line  n=   2  accuracy=1.000  macro_f1=1.000" in result.stdout
    assert "== business_line: confusion" in result.stdout
    assert "flag self_harm_or_violence" in result.stdout


def test_cfpb_split_writes_the_held_out_files(tmp_path):
    result = runner.invoke(classifier_app, ["cfpb-split", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cfpb_heldout.jsonl").read_text().count("\n") == 785
