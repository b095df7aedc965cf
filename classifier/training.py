"""Reproducible training: packaged examples + CFPB training split + staff corrections -> bundle.

Same inputs give the same version string and the same weights (fixed order, fixed seeds).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from classifier import calibration, cfpb
from classifier.features import Vocabulary, normalise
from classifier.lexicon import Lexicon, default_lexicon
from classifier.model import DIMENSIONS, FLAG_PREFIX, LanguageModel, LinearModel, ModelBundle
from classifier.taxonomy import Taxonomy, default_taxonomy

CORRECTION_WEIGHT = 5.0
MODEL_FAMILY = "tfidf-linear-2"
CALIBRATION_FOLDS = 5
_VOCAB = {"zh": {"min_df": 1, "max_terms": 60_000}, "en": {"min_df": 2, "max_terms": 40_000}}
# Chinese: balanced logistic regression; English: a linear SVM. For both, the lexicon weight,
# per-code offsets and temperature are fitted on out-of-fold scores of the training examples
# (cross-validation chose this; see docs/classifier.md). lexicon.json's fusion_weight serves
# models trained before Chinese was calibrated.
_LINEAR = {"zh": {"kind": "logreg", "C": 10.0, "balanced": True},
           "en": {"kind": "svm", "C": 1.0, "balanced": False}}
_CALIBRATED = frozenset({"en", "zh"})
# Share of the class-balanced view in the calibration objective. Only business lines are scored
# on a balanced sample; for causes it would push ten contract-terms narratives onto many texts.
_BALANCED_SHARE = {"business_line": 0.5}
EN_EXAMPLES = "train/en_examples.jsonl"
EN_FLAG_EXAMPLES = "train/en_flag_examples.jsonl"
# Flags are learnt too (class-balanced logistic regression on the same TF-IDF), as a second
# reader beside the lexicon, when the labelled examples hold enough of each side.
FLAG_MODEL = {"kind": "logreg", "C": 10.0, "balanced": True}
MIN_FLAG_EXAMPLES = 10


@dataclass
class Example:
    """One labelled text; dimensions it does not label are None."""

    text: str
    language: str
    labels: dict[str, str | None]
    weight: float = 1.0
    source: str = "examples"
    correction_of: str | None = None
    overrides: dict = field(default_factory=dict)
    flags: list[str] | None = None  # None: this example does not label flags (CFPB narratives)


@dataclass
class TrainingSet:
    """Everything one training run learns from, in a stable order."""

    examples: list[Example] = field(default_factory=list)

    def fingerprint(self, lexicon: Lexicon, taxonomy: Taxonomy) -> str:
        """A short hash of the data and configuration: the model version's suffix."""
        calibrated = [sorted(_CALIBRATED), _BALANCED_SHARE, CALIBRATION_FOLDS, calibration.settings()]
        config = json.dumps([_VOCAB, _LINEAR, CORRECTION_WEIGHT, calibrated, FLAG_MODEL, MIN_FLAG_EXAMPLES],
                            sort_keys=True)
        head = f"{MODEL_FAMILY}|{lexicon.version}|{lexicon.digest}|{taxonomy.version}|{config}"
        digest = hashlib.sha256(head.encode())
        for ex in self.examples:
            row = [ex.text, ex.language, ex.labels, ex.weight, ex.flags]
            digest.update(json.dumps(row, ensure_ascii=False).encode())
        return digest.hexdigest()[:10]


def packaged_examples(name: str = "train/zh_examples.jsonl") -> list[Example]:
    """The hand-written training examples shipped in classifier/data/ (Chinese by default)."""
    raw = resources.files("classifier").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [_example(json.loads(line), "examples") for line in raw.splitlines() if line.strip()]


def written_english_examples() -> list[Example]:
    """Hand-written English narratives of the products the CFPB slice barely has (business lines only).

    Their causes are not learnt: English causes come from the CFPB issues (cfpb.cause), and a
    writer's judgement would teach a second, different convention.
    """
    return _without(packaged_examples(EN_EXAMPLES), "cause")


def english_flag_examples() -> list[Example]:
    """Hand-written English complaints of every kind: only their flags and emotion are learnt.

    Their business lines span all thirteen codes; learnt, they pulled CFPB narratives towards codes
    the CFPB slice never has (held-out macro-F1 0.680 -> 0.544), so the English business-line and
    cause models stay those of the CFPB slice and the product narratives.
    """
    return _without(packaged_examples(EN_FLAG_EXAMPLES), "business_line", "cause")


def _without(examples: list[Example], *dimensions: str) -> list[Example]:
    for example in examples:
        example.labels.update(dict.fromkeys(dimensions))
    return examples


def cfpb_examples() -> list[Example]:
    """The training part of the CFPB slice (the held-out part is never returned)."""
    train, _ = cfpb.split(cfpb.load_rows())
    return [Example(r["text"], "en", {"business_line": r["business_line"], "cause": r["cause"], "emotion": None},
                    source="cfpb") for r in train]


def correction_examples(corrections: Iterable[dict]) -> list[Example]:
    """Staff corrections joined with the stored text; weighted so one correction is felt."""
    examples = []
    for row in corrections:
        example = _example(row, "correction", weight=CORRECTION_WEIGHT)
        example.correction_of = row.get("complaint_id")
        example.overrides = {k: row[k] for k in ("flags", "severity", "complexity") if row.get(k) is not None}
        examples.append(example)
    return examples


def _example(row: dict, source: str, weight: float = 1.0) -> Example:
    labels = {dim: row.get(dim) for dim in DIMENSIONS}
    flags = list(row["flags"]) if row.get("flags") is not None else None
    return Example(row["text"], row.get("language") or "zh", labels, weight, source, flags=flags)


def default_training_set(corrections: Iterable[dict] = ()) -> TrainingSet:
    """Packaged examples, the CFPB training split and any corrections, in a fixed order."""
    return TrainingSet(packaged_examples() + written_english_examples() + english_flag_examples() + cfpb_examples()
                       + correction_examples(corrections))


def train(data: TrainingSet, lexicon: Lexicon | None = None, taxonomy: Taxonomy | None = None) -> ModelBundle:
    """Fit one vocabulary and one model per dimension for each language with examples."""
    lexicon, taxonomy = lexicon or default_lexicon(), taxonomy or default_taxonomy()
    languages = {}
    for language in sorted({ex.language for ex in data.examples}):
        examples = [ex for ex in data.examples if ex.language == language]
        languages[language] = _train_language(language, examples, lexicon, taxonomy.labels("flags"))
    version = f"{MODEL_FAMILY}-{data.fingerprint(lexicon, taxonomy)}"
    meta = {"taxonomy_version": taxonomy.version, "lexicon_version": lexicon.version,
            "examples": _counts(data.examples)}
    return ModelBundle(version, languages, corrections=_memory(data.examples), meta=meta)


def _train_language(language: str, examples: list[Example], lexicon: Lexicon, flags: list[str]) -> LanguageModel:
    texts = [normalise(ex.text) for ex in examples]
    vocabulary = Vocabulary.fit(language, texts, **_VOCAB.get(language, _VOCAB["zh"]))
    X = vocabulary.transform(texts)
    found = [lexicon.find(text, language) for text in texts] if language in _CALIBRATED else []
    params = _LINEAR.get(language, _LINEAR["zh"])
    models = {}
    for dim in DIMENSIONS:
        rows = [i for i, ex in enumerate(examples) if ex.labels.get(dim)]
        labels = [examples[i].labels[dim] for i in rows]
        if len(set(labels)) >= 2:
            weights = np.array([examples[i].weight for i in rows])
            model = LinearModel.fit(X[rows], labels, weights, **params)
            if language in _CALIBRATED:
                evidence = np.array([lexicon.evidence(dim, found[i], language, model.classes) for i in rows])
                real = np.array([examples[i].source != "examples" for i in rows])
                model = _calibrate(model, X[rows], labels, weights, evidence, params, _BALANCED_SHARE.get(dim, 0.0),
                                   real)
            models[dim] = model
    models.update(_flag_models(X, examples, flags))
    return LanguageModel(vocabulary, models)


def _flag_models(X, examples: list[Example], flags: list[str]) -> dict[str, LinearModel]:
    """One absent/present model per flag with at least MIN_FLAG_EXAMPLES of each among the labelled rows."""
    rows = [i for i, ex in enumerate(examples) if ex.flags is not None]
    weights = np.array([examples[i].weight for i in rows])
    models = {}
    for flag in flags:
        labels = ["present" if flag in examples[i].flags else "absent" for i in rows]
        if min(labels.count("present"), labels.count("absent")) >= MIN_FLAG_EXAMPLES:
            models[FLAG_PREFIX + flag] = LinearModel.fit(X[rows], labels, weights, **FLAG_MODEL)
    return models


def _calibrate(model: LinearModel, X, labels: list[str], weights: np.ndarray, evidence: np.ndarray,
               params: dict, balanced_share: float, real: np.ndarray) -> LinearModel:
    """Fit lexicon weight, offsets and temperature on out-of-fold scores of these very examples.

    Written examples are trained on but not calibrated on: they over-represent the small codes
    on purpose, and offsets must fit the share of each code that real complaints have.
    """
    gold = np.array([model.classes.index(label) for label in labels])
    scores = _out_of_fold(X, labels, weights, model.classes, params)
    real = real if real.any() else np.ones(len(labels), dtype=bool)
    fitted = calibration.fit(scores[real], evidence[real], gold[real], balanced_share)
    return model.calibrated(fitted.offsets, fitted.temperature, fitted.lexicon_weight)


def _out_of_fold(X, labels: list[str], weights: np.ndarray, classes: list[str], params: dict) -> np.ndarray:
    """Each example scored by a model trained without it (stratified folds, fixed seed)."""
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros((len(labels), len(classes)))
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=0)
    with warnings.catch_warnings():  # the smallest CFPB class has fewer members than folds
        warnings.simplefilter("ignore", UserWarning)
        splits = list(folds.split(np.zeros(len(labels)), labels))
    for fit_rows, score_rows in splits:
        part = LinearModel.fit(X[fit_rows], [labels[i] for i in fit_rows], weights[fit_rows], **params)
        logits = part.logits(X[score_rows])
        # A class missing from this fold's training part scores below every class it knows.
        scores[score_rows] = (logits.min(axis=1, keepdims=True) - 2.0).repeat(len(classes), axis=1)
        scores[np.ix_(score_rows, [classes.index(c) for c in part.classes])] = logits
    return scores


def _memory(examples: list[Example]) -> dict[str, dict]:
    """Exact-text memory of corrections: the corrected codes win for that very text."""
    return {text_key(ex.text): {**{k: v for k, v in ex.labels.items() if v}, **ex.overrides,
                                "complaint_id": ex.correction_of}
            for ex in examples if ex.source == "correction"}


def text_key(text: str) -> str:
    """The key under which a correction is remembered."""
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:20]


def _counts(examples: list[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ex in examples:
        counts[f"{ex.source}.{ex.language}"] = counts.get(f"{ex.source}.{ex.language}", 0) + 1
    return counts


def save(bundle: ModelBundle, directory: Path, *, prune: bool = False) -> Path:
    """Save a bundle and point ``current`` at it, so the service loads it at next start."""
    path = bundle.save(directory)
    (Path(directory) / "current").write_text(bundle.version, encoding="utf-8")
    if prune:  # the packaged model keeps one version; a service's model dir keeps its history
        for old in Path(directory).iterdir():
            if old.is_dir() and old != path and (old / "meta.json").is_file():
                shutil.rmtree(old)
    return path
