"""The trained part: per language a TF-IDF vocabulary and one linear model per scored dimension.

The artefact is plain arrays (``weights.npz``) and JSON (``meta.json``), not a pickle, so it
loads safely and does not depend on the scikit-learn version that trained it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from classifier.features import Vocabulary

DIMENSIONS = ("business_line", "cause", "emotion")
# A flag's learned model is stored beside the dimensions as "flag:<code>", classes absent/present.
FLAG_PREFIX = "flag:"


@dataclass
class LinearModel:
    """Linear weights for one dimension; lexicon_weight, when fitted, overrides the lexicon's own."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    lexicon_weight: float | None = None

    @classmethod
    def fit(cls, X: sparse.csr_matrix, labels: list[str], weights: np.ndarray | None = None,
            *, kind: str = "logreg", C: float = 10.0, balanced: bool = True) -> LinearModel:
        """Fit on TF-IDF rows: multinomial logistic regression, or a linear SVM ("svm", one-vs-rest)."""
        clf = _estimator(kind, C, "balanced" if balanced else None)
        clf.fit(X, labels, sample_weight=weights)
        coef, intercept = clf.coef_, clf.intercept_
        if len(clf.classes_) == 2:  # sklearn keeps one row for two classes; make it symmetric
            coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(list(clf.classes_), coef.astype(np.float32), intercept.astype(np.float32))

    def calibrated(self, offsets: np.ndarray, temperature: float, lexicon_weight: float) -> LinearModel:
        """The same model with per-class offsets, scaled so softmax(logits) is a calibrated probability."""
        return LinearModel(self.classes, (self.coef * temperature).astype(np.float32),
                           ((self.intercept + offsets) * temperature).astype(np.float32),
                           round(float(lexicon_weight * temperature), 6))

    def logits(self, X: sparse.csr_matrix) -> np.ndarray:
        """Unnormalised log-probabilities, one row per text, one column per class."""
        return np.asarray(X @ self.coef.T) + self.intercept

    def top_terms(self, X: sparse.csr_matrix, row: int, code: str, terms: list[str], k: int = 5) -> list[str]:
        """The k features of one text that pushed it most towards a class."""
        if code not in self.classes:
            return []
        start, end = X.indptr[row], X.indptr[row + 1]
        idx, vals = X.indices[start:end], X.data[start:end]
        contrib = vals * self.coef[self.classes.index(code), idx]
        order = np.argsort(-contrib)[:k]
        return [terms[idx[i]] for i in order if contrib[i] > 0]


@dataclass
class LanguageModel:
    """A vocabulary and the models of each dimension for one language."""

    vocabulary: Vocabulary
    dimensions: dict[str, LinearModel]

    def flag_models(self) -> dict[str, LinearModel]:
        """The learned flag models, by flag code (none for a language without flag labels)."""
        return {name[len(FLAG_PREFIX):]: model for name, model in self.dimensions.items()
                if name.startswith(FLAG_PREFIX)}


@dataclass
class ModelBundle:
    """Everything ``kesu classifier train`` produces; the service loads it at start."""

    version: str
    languages: dict[str, LanguageModel]
    corrections: dict[str, dict] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def save(self, directory: Path) -> Path:
        """Write the bundle under directory/<version>/ and return that path."""
        target = Path(directory) / self.version
        target.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        layout: dict[str, dict] = {}
        for lang, lm in self.languages.items():
            arrays[f"{lang}.terms"] = np.array(lm.vocabulary.terms, dtype=object)
            arrays[f"{lang}.idf"] = lm.vocabulary.idf
            layout[lang] = {}
            for dim, model in lm.dimensions.items():
                arrays[f"{lang}.{dim}.coef"] = model.coef
                arrays[f"{lang}.{dim}.intercept"] = model.intercept
                layout[lang][dim] = model.classes
        # Terms are strings; store them as one joined array to avoid object pickling.
        packed = {k: (np.array("\x1f".join(v)) if v.dtype == object else v) for k, v in arrays.items()}
        np.savez_compressed(target / "weights.npz", **packed)
        fitted = {lang: {dim: m.lexicon_weight for dim, m in lm.dimensions.items() if m.lexicon_weight is not None}
                  for lang, lm in self.languages.items()}
        meta = {**self.meta, "version": self.version, "layout": layout,
                "lexicon_weight": {lang: dims for lang, dims in fitted.items() if dims},
                "corrections": self.corrections}
        (target / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return target

    @classmethod
    def load(cls, path: Path) -> ModelBundle:
        """Read a bundle written by save()."""
        meta = json.loads((Path(path) / "meta.json").read_text(encoding="utf-8"))
        with np.load(Path(path) / "weights.npz", allow_pickle=False) as npz:
            fitted = meta.get("lexicon_weight", {})  # absent in models trained before it was fitted
            languages = {lang: _language(npz, lang, dims, fitted.get(lang, {}))
                         for lang, dims in meta["layout"].items()}
        corrections = meta.pop("corrections", {})
        return cls(version=meta["version"], languages=languages, corrections=corrections, meta=meta)


def _estimator(kind: str, C: float, class_weight: str | None):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if kind == "svm":
        return LinearSVC(C=C, class_weight=class_weight, max_iter=5000, random_state=0)
    return LogisticRegression(C=C, class_weight=class_weight, max_iter=2000, random_state=0)


def _language(npz, lang: str, dims: dict[str, list[str]], lexicon_weights: dict[str, float]) -> LanguageModel:
    terms = str(npz[f"{lang}.terms"]).split("\x1f")
    vocabulary = Vocabulary(lang, terms, npz[f"{lang}.idf"])
    models = {dim: LinearModel(classes, npz[f"{lang}.{dim}.coef"], npz[f"{lang}.{dim}.intercept"],
                               lexicon_weights.get(dim))
              for dim, classes in dims.items()}
    return LanguageModel(vocabulary, models)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
