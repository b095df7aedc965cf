"""Calibration of the English model: fitted lexicon weight, per-code offsets and temperature."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import calibration, evaluation
from classifier.features import Vocabulary
from classifier.model import LanguageModel, LinearModel, ModelBundle


def test_macro_f1_agrees_with_the_evaluation_report():
    rng = np.random.default_rng(0)
    gold, predicted = rng.integers(0, 4, 200), rng.integers(0, 5, 200)
    expected = evaluation.single_label([str(g) for g in gold], [str(p) for p in predicted])["macro_f1"]
    assert abs(calibration.macro_f1(gold, predicted, 5) - expected) < 1e-9


def test_a_balanced_view_weighs_each_code_equally():
    gold = np.array([0] * 90 + [1] * 10)
    predicted = np.array([0] * 90 + [0] * 5 + [1] * 5)  # half of the small code found
    natural = calibration.macro_f1(gold, predicted, 2)
    balanced = calibration.macro_f1(gold, predicted, 2, 1.0 / np.bincount(gold)[gold])
    assert balanced < natural  # the missed half of the small code weighs more when classes count equally


def test_an_offset_recovers_a_code_the_raw_scores_never_choose():
    rng = np.random.default_rng(1)
    gold = np.array([0] * 80 + [1] * 20)
    scores = rng.normal(0, 0.1, (100, 2))
    scores[:, 0] += 1.0
    scores[gold == 1, 1] += 0.8  # the small code scores higher on its own rows, but never highest
    assert calibration.objective(gold, scores.argmax(1), 2) < 0.5
    fitted = calibration.fit(scores, np.zeros_like(scores), gold)
    assert calibration.objective(gold, (scores + fitted.offsets).argmax(1), 2) > 0.9


def test_a_code_with_too_few_real_examples_keeps_offset_zero():
    rng = np.random.default_rng(2)
    few = calibration.MIN_ROWS_FOR_OFFSET - 1
    gold = np.array([0] * 80 + [1] * 20 + [2] * few)
    scores = rng.normal(0, 0.1, (len(gold), 3))
    scores[:, 0] += 1.0  # the raw scores choose code 0 everywhere
    scores[gold == 1, 1] += 0.5
    scores[gold == 2, 1] += 0.5  # code 2's own rows look like code 1 unless code 2 gets an offset
    scores[gold == 2, 2] += 0.4
    fitted = calibration.fit(scores, np.zeros_like(scores), gold, balanced_share=0.5)
    predicted = (scores + fitted.offsets).argmax(1)
    assert (predicted[gold == 1] == 1).mean() >= 0.85  # enough rows: the offsets find code 1
    assert fitted.offsets[2] == 0  # too few rows to place code 2's threshold: left alone


def test_lexicon_evidence_gets_weight_when_it_separates_codes():
    gold = np.array([0] * 50 + [1] * 50)
    scores = np.zeros((100, 2))
    evidence = np.zeros((100, 2))
    evidence[gold == 1, 1] = 6.0
    fitted = calibration.fit(scores, evidence, gold)
    assert calibration.objective(gold, (scores + fitted.lexicon_weight * evidence + fitted.offsets).argmax(1), 2) == 1.0


def test_the_temperature_makes_confident_scores_confident():
    gold = np.array([0, 1] * 50)
    scores = np.where(np.eye(2)[gold] > 0, 0.5, -0.5)  # always right, but small margins
    fitted = calibration.fit(scores, np.zeros_like(scores), gold)
    assert fitted.temperature > 4


def test_a_fitted_lexicon_weight_survives_save_and_load(tmp_path):
    model = LinearModel(["a", "b"], np.ones((2, 1), dtype=np.float32), np.zeros(2, dtype=np.float32))
    tuned = model.calibrated(np.array([0.5, -0.5]), 2.0, 0.25)
    english = LanguageModel(Vocabulary("en", ["loan"], np.ones(1)), {"business_line": tuned})
    chinese = LanguageModel(Vocabulary("zh", ["卡"], np.ones(1)), {"business_line": model})
    bundle = ModelBundle("v-test", {"en": english, "zh": chinese})
    loaded = ModelBundle.load(bundle.save(tmp_path))
    assert loaded.languages["en"].dimensions["business_line"].lexicon_weight == 0.5
    assert loaded.languages["zh"].dimensions["business_line"].lexicon_weight is None
    assert loaded.languages["en"].dimensions["business_line"].intercept.tolist() == [1.0, -1.0]


def test_cross_validation_trains_on_other_folds_and_scores_both_views():
    from classifier import cfpb, crossval
    from classifier.lexicon import default_lexicon
    from classifier.taxonomy import default_taxonomy

    train_rows, _ = cfpb.split(cfpb.load_rows())
    sample = [r for r in train_rows if r["business_line"] in ("credit_reporting", "personal_loan")][:80]
    predicted = crossval.fold_predictions(sample, default_lexicon(), default_taxonomy(), folds=2)
    report = crossval.scores([r["business_line"] for r in sample], predicted)
    assert len(predicted) == len(sample) and all(predicted)
    assert 0.5 < report["accuracy"] <= 1.0
    assert set(report["per_code_f1"]) >= {"credit_reporting", "personal_loan"}


def test_written_examples_are_trained_on_but_not_calibrated_on():
    from classifier import cfpb, training
    from classifier.features import normalise

    train_rows, _ = cfpb.split(cfpb.load_rows())
    by_line = {line: [r for r in train_rows if r["business_line"] == line]
               for line in ("credit_reporting", "personal_loan", "debit_card")}
    # Real rows: 40 credit-report and 120 loan narratives, and the 3 real prepaid-card ones.
    real = by_line["credit_reporting"][:40] + by_line["personal_loan"][:120] + by_line["debit_card"]
    # Forty other loan narratives labelled prepaid card stand in for written rows that do not look
    # like the real ones: calibrating on them would raise the prepaid-card offset to recover them.
    written = [training.Example(r["text"], "en", {"business_line": "debit_card"})
               for r in by_line["personal_loan"][200:240]]
    assert len(by_line["debit_card"]) < calibration.MIN_ROWS_FOR_OFFSET <= len(written)

    def debit_card_offset(source: str) -> float:
        examples = [training.Example(r["text"], "en", {"business_line": r["business_line"]}, source="cfpb")
                    for r in real] + [training.Example(ex.text, "en", ex.labels, source=source) for ex in written]
        language = training.train(training.TrainingSet(examples)).languages["en"]
        fitted = language.dimensions["business_line"]
        X = language.vocabulary.transform([normalise(ex.text) for ex in examples])
        raw = LinearModel.fit(X, [ex.labels["business_line"] for ex in examples], **training._LINEAR["en"])
        temperature = float(np.abs(fitted.coef).sum() / np.abs(raw.coef).sum())
        offsets = fitted.intercept / temperature - raw.intercept
        return float(offsets[fitted.classes.index("debit_card")])

    # Written: the three real rows are too few to place an offset. Counted as real: 43 rows are enough.
    assert debit_card_offset("examples") == pytest.approx(0.0, abs=1e-3)
    assert debit_card_offset("cfpb") > 0.3
