"""The shipped data: valid codes, evaluation kept apart from training, a fresh packaged model."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from classifier import cfpb, training
from classifier.lexicon import Lexicon, default_lexicon
from classifier.loading import load_bundle, packaged_model_path
from classifier.taxonomy import default_taxonomy


def rows(name: str) -> list[dict]:
    raw = resources.files("classifier").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


CHINESE_SETS = ("eval/zh_eval.jsonl", "eval/zh_eval_fresh.jsonl", "eval/zh_eval_third.jsonl",
                "eval/zh_eval_fourth.jsonl", "eval/zh_eval_fifth.jsonl", "eval/zh_eval_sixth.jsonl",
                "eval/zh_eval_seventh.jsonl", "eval/zh_eval_eighth.jsonl", "eval/zh_eval_ninth.jsonl",
                "eval/zh_eval_tenth.jsonl")


ENGLISH_SETS = ("eval/en_eval_first.jsonl", "eval/en_eval_second.jsonl", "eval/en_eval_third.jsonl")


@pytest.mark.parametrize("name", ["train/zh_examples.jsonl", "train/en_flag_examples.jsonl",
                                  *CHINESE_SETS, *ENGLISH_SETS])
def test_labelled_files_use_only_taxonomy_codes(name):
    taxonomy = default_taxonomy()
    for row in rows(name):
        for dim in ("business_line", "cause", "emotion", "severity", "complexity"):
            assert taxonomy.validate(dim, row[dim]), (row["id"], dim, row[dim])
        assert all(taxonomy.validate("flags", f) for f in row["flags"]), row["id"]


def test_the_chinese_evaluation_set_is_large_and_apart_from_training():
    evaluation, train = rows("eval/zh_eval.jsonl"), rows("train/zh_examples.jsonl")
    assert len(evaluation) >= 300
    assert not {r["text"] for r in evaluation} & {r["text"] for r in train}
    assert {r["business_line"] for r in evaluation} == set(default_taxonomy().labels("business_line"))
    assert set(default_taxonomy().labels("flags")) <= {f for r in evaluation for f in r["flags"]}


@pytest.mark.parametrize("index", range(1, len(CHINESE_SETS)))
def test_each_later_chinese_set_shares_no_text_with_training_or_an_earlier_set(index):
    later = {r["text"] for r in rows(CHINESE_SETS[index])}
    assert len(later) >= 200
    seen = {r["text"] for name in ("train/zh_examples.jsonl", *CHINESE_SETS[:index]) for r in rows(name)}
    assert not later & seen


def test_the_written_english_examples_use_only_business_line_codes_and_no_cfpb_text():
    taxonomy = default_taxonomy()
    written = rows(training.EN_EXAMPLES)
    assert len(written) >= 250
    assert all(taxonomy.validate("business_line", r["business_line"]) and r["language"] == "en" for r in written)
    cfpb_texts = {r["text"].strip() for r in cfpb.load_rows()}
    assert not {r["text"].strip() for r in written} & cfpb_texts
    complaints = {r["text"].strip() for r in rows(training.EN_FLAG_EXAMPLES)}
    assert not complaints & cfpb_texts and not complaints & {r["text"].strip() for r in written}


def test_the_cfpb_held_out_part_is_deterministic_and_never_trained_on():
    all_rows = cfpb.load_rows()
    train, held = cfpb.split(all_rows)
    assert cfpb.split(all_rows)[1] == held
    assert not {r["id"] for r in train} & {r["id"] for r in held}
    assert [r["id"] for r in rows("eval/cfpb_heldout.jsonl")] == [r["id"] for r in held]
    assert not {ex.text for ex in training.cfpb_examples()} & {r["text"] for r in held}


def test_the_packaged_model_matches_the_shipped_data():
    bundle = load_bundle(packaged_model_path())
    expected = training.default_training_set().fingerprint(default_lexicon(), default_taxonomy())
    assert bundle.version == f"{training.MODEL_FAMILY}-{expected}", "run: kesu classifier train --out classifier/data/model --no-corrections"


def test_a_lexicon_edit_changes_the_model_version_even_without_a_version_bump():
    data = json.loads(resources.files("classifier").joinpath("data/lexicon.json").read_text(encoding="utf-8"))
    edited = json.loads(json.dumps(data))
    edited["flags"]["litigation"]["zh"].append("递交诉状")
    examples = training.TrainingSet(training.packaged_examples()[:5])
    taxonomy = default_taxonomy()
    assert examples.fingerprint(Lexicon(data), taxonomy) != examples.fingerprint(Lexicon(edited), taxonomy)


def test_rewording_the_lexicon_note_keeps_the_model_version():
    data = json.loads(resources.files("classifier").joinpath("data/lexicon.json").read_text(encoding="utf-8"))
    reworded = {**data, "note": "reworded"}
    examples = training.TrainingSet(training.packaged_examples()[:5])
    taxonomy = default_taxonomy()
    assert examples.fingerprint(Lexicon(data), taxonomy) == examples.fingerprint(Lexicon(reworded), taxonomy)


@pytest.mark.parametrize("index", range(len(ENGLISH_SETS)))
def test_each_english_set_shares_no_text_with_english_training_or_an_earlier_set(index):
    later = {r["text"] for r in rows(ENGLISH_SETS[index])}
    assert len(later) >= 200
    names = (training.EN_EXAMPLES, training.EN_FLAG_EXAMPLES, *ENGLISH_SETS[:index])
    seen = {r["text"] for name in names for r in rows(name)} | {r["text"] for r in cfpb.load_rows()}
    assert not later & seen

