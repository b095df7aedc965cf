"""Cross-validation of the whole English training procedure on the CFPB training split.

Each fold runs ``training.train`` (features, model, and the calibration's own inner folds) on
the other folds and classifies the held-back fold with the real pipeline, so the figure is
an honest estimate of what ``kesu classifier train`` produces. The held-out part of the slice
is never touched: it stays for the final check.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from classifier import calibration, evaluation, training
from classifier.lexicon import Lexicon
from classifier.pipeline import Classifier, ClassifyInput
from classifier.taxonomy import Taxonomy


def fold_predictions(rows: Sequence[dict], lexicon: Lexicon, taxonomy: Taxonomy, *, folds: int = 5,
                     seed: int = 0, written: Sequence[training.Example] = ()) -> list[str]:
    """The business line each row gets from a model trained on the other folds (and the written examples)."""
    from sklearn.model_selection import StratifiedKFold

    labels = [row["business_line"] for row in rows]
    predicted = [""] * len(rows)
    with warnings.catch_warnings():  # the smallest CFPB class has fewer members than folds
        warnings.simplefilter("ignore", UserWarning)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(rows)), labels))
    for fit_rows, test_rows in splits:
        fold = [_example(rows[i]) for i in fit_rows] + list(written)
        bundle = training.train(training.TrainingSet(fold), lexicon, taxonomy)
        items = [ClassifyInput(rows[i]["text"]) for i in test_rows]
        results = Classifier(bundle, lexicon, taxonomy).classify_many(items)
        for i, result in zip(test_rows, results):
            predicted[i] = result.business_line
    return predicted


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Macro-F1 as the rows are and on a class-balanced view of them, plus per-code F1."""
    report = evaluation.single_label(list(gold), list(predicted))
    codes = sorted(report["per_code"])
    gold_index = np.array([codes.index(g) for g in gold])
    weights = 1.0 / np.bincount(gold_index, minlength=len(codes))[gold_index]
    balanced = calibration.macro_f1(gold_index, np.array([codes.index(p) for p in predicted]), len(codes), weights)
    return {"macro_f1": report["macro_f1"], "balanced_macro_f1": balanced, "accuracy": report["accuracy"],
            "per_code_f1": {code: round(v["f1"], 3) for code, v in report["per_code"].items()}}


def _example(row: dict) -> training.Example:
    labels = {"business_line": row["business_line"], "cause": row["cause"], "emotion": None}
    return training.Example(row["text"], "en", labels, source="cfpb")
