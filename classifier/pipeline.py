"""The classifier: model log-odds plus lexicon evidence per dimension, then the decision rules.

Pure logic on an in-memory bundle. Batches are scored together because the linear algebra
is cheap per batch and dear per text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from classifier import rules
from classifier.features import MAX_CHARS, detect_language, normalise
from classifier.lexicon import SCORE_CAP, Lexicon
from classifier.model import DIMENSIONS, LanguageModel, ModelBundle, softmax
from classifier.taxonomy import Taxonomy
from classifier.training import text_key

ABSENT_CLASS_PENALTY = 2.0  # codes a language's model never saw start this far below its worst
DEFAULT_CODE = {"business_line": "other", "cause": "other", "emotion": "neutral"}


@dataclass(frozen=True)
class ClassifyInput:
    """What the classifier reads: redacted text and the few intake facts that matter."""

    text: str
    language: str | None = None
    channel: str | None = None
    group_size: int = 1


@dataclass
class Classification:
    """The codes for one complaint, with confidences and the reasons that decided them."""

    business_line: str
    cause: str
    flags: list[str]
    emotion: str
    severity: str
    complexity: str
    confidence: dict[str, float]
    explanation: list[str] = field(default_factory=list)
    needs_review: bool = False
    language: str = "zh"

    def as_dict(self) -> dict:
        """The JSON shape of ``kesu classify`` output (without the id)."""
        return {"business_line": self.business_line, "cause": self.cause, "flags": self.flags,
                "emotion": self.emotion, "severity": self.severity, "complexity": self.complexity,
                "confidence": self.confidence, "needs_review": self.needs_review,
                "language": self.language, "explanation": self.explanation}


@dataclass
class _Scored:
    code: str
    confidence: float
    reason: str


class Classifier:
    """Classifies batches of complaints with one model bundle, lexicon and taxonomy."""

    def __init__(self, bundle: ModelBundle, lexicon: Lexicon, taxonomy: Taxonomy,
                 review_threshold: float = 0.5) -> None:
        self.bundle = bundle
        self.lexicon = lexicon
        self.taxonomy = taxonomy
        self.review_threshold = review_threshold

    @property
    def model_version(self) -> str:
        """The trained bundle's version."""
        return self.bundle.version

    def classify(self, item: ClassifyInput | str) -> Classification:
        """Classify one complaint."""
        return self.classify_many([item if isinstance(item, ClassifyInput) else ClassifyInput(item)])[0]

    def classify_many(self, items: list[ClassifyInput]) -> list[Classification]:
        """Classify a batch, grouping texts by language so each model runs once."""
        texts = [normalise(item.text or "") for item in items]
        languages = [self._language(item, text) for item, text in zip(items, texts)]
        results: list[Classification | None] = [None] * len(items)
        for language in set(languages):
            rows = [i for i, lang in enumerate(languages) if lang == language]
            # One pass of the lexicon's automaton per text serves every dimension and every flag.
            found = [self.lexicon.find(texts[i], language) if language != "unknown" else {} for i in rows]
            scored, learned = self._score(language, [texts[i] for i in rows], found)
            for i, dims, terms, flags in zip(rows, scored, found, learned):
                results[i] = self._decide(items[i], texts[i], language, dims, terms, flags)
        return results  # type: ignore[return-value]

    def _language(self, item: ClassifyInput, text: str) -> str:
        detected = detect_language(text) if text else "unknown"
        return detected if detected != "unknown" or not item.language else (
            item.language if item.language in self.bundle.languages and len(text) >= 8 else "unknown")

    def _score(self, language: str, texts: list[str], found: list[dict]) -> tuple[list[dict], list[dict]]:
        """Per text: the scored dimensions, and each learned flag's (probability, n-grams) above the bar."""
        if language == "unknown":
            return ([{dim: _Scored(DEFAULT_CODE[dim], 0.0, "language not recognised") for dim in DIMENSIONS}
                     for _ in texts], [{} for _ in texts])
        model = self.bundle.languages.get(language)
        X = model.vocabulary.transform(texts) if model else None
        per_dim = {dim: self._score_dimension(dim, language, model, X, found) for dim in DIMENSIONS}
        learned = _learned_flags(model, X, len(texts)) if model else [{} for _ in texts]
        return [{dim: per_dim[dim][row] for dim in DIMENSIONS} for row in range(len(texts))], learned

    def _score_dimension(self, dim: str, language: str, model: LanguageModel | None, X,
                         found: list[dict]) -> list[_Scored]:
        codes = self.taxonomy.labels(dim)
        linear = model.dimensions.get(dim) if model else None
        base = self._base_logits(dim, codes, linear, X, len(found))
        # A model trained with a fitted lexicon weight (English) brings it; otherwise the lexicon's own.
        weight = linear.lexicon_weight if linear and linear.lexicon_weight is not None \
            else self.lexicon.fusion_weight.get(dim, 1.0)
        hits = [self.lexicon.scores(dim, terms, language) for terms in found]
        boost = np.array([[min(h[c][0], SCORE_CAP) if c in h else 0.0 for c in codes] for h in hits])
        probs = softmax(base + weight * boost.reshape(base.shape))
        scored = []
        for row, best in enumerate(np.argmax(probs, axis=1)):
            terms = linear.top_terms(X, row, codes[best], model.vocabulary.terms) if linear else []
            scored.append(_Scored(codes[best], round(float(probs[row, best]), 3),
                                  _reason(hits[row].get(codes[best], (0, []))[1], terms)))
        return scored

    def _base_logits(self, dim: str, codes: list[str], linear, X, n: int) -> np.ndarray:
        base = np.zeros((n, len(codes)))
        if linear is None:
            # No model for this language and dimension: the lexicon decides, the default code is the prior.
            base[:, codes.index(DEFAULT_CODE[dim])] = 1.0
            return base
        logits = linear.logits(X)
        floor = logits.min(axis=1) - ABSENT_CLASS_PENALTY
        for j, code in enumerate(codes):
            base[:, j] = logits[:, linear.classes.index(code)] if code in linear.classes else floor
        return base

    def _decide(self, item: ClassifyInput, text: str, language: str, dims: dict[str, _Scored],
                found: dict, learned: dict) -> Classification:
        hits = self.lexicon.flag_hits(text, language, found) if language != "unknown" else []
        flags, flag_notes = rules.decide_flags(hits, item.channel, self.taxonomy.channel_flags,
                                               item.group_size, self.lexicon.group_size_at_least, learned)
        confidence = {dim: dims[dim].confidence for dim in DIMENSIONS}
        explanation = [f"language={language}"] + [
            f"{dim}={dims[dim].code} ({dims[dim].confidence:.2f}): {dims[dim].reason}" for dim in DIMENSIONS]
        explanation += flag_notes
        result = Classification(dims["business_line"].code, dims["cause"].code, flags, dims["emotion"].code,
                                "", "", confidence, explanation, language=language)
        self._apply_correction(result, text)
        self._finish(result, text, language)
        if len(item.text or "") > MAX_CHARS:
            result.explanation.append(f"long text: only the first {MAX_CHARS} characters were read")
        return result

    def _apply_correction(self, result: Classification, text: str) -> None:
        memory = self.bundle.corrections.get(text_key(text)) if self.bundle.corrections else None
        if not memory:
            return
        for key in ("business_line", "cause", "emotion", "flags"):
            if memory.get(key) is not None:
                setattr(result, key, memory[key])
                if key in result.confidence:
                    result.confidence[key] = 1.0
        result.explanation.insert(0, f"staff correction of complaint {memory.get('complaint_id')} applied")
        result.severity, result.complexity = memory.get("severity") or "", memory.get("complexity") or ""

    def _finish(self, result: Classification, text: str, language: str) -> None:
        length = len(text) // 3 if language == "en" else len(text)
        result.severity = result.severity or rules.severity(result.flags, result.emotion, result.cause)
        result.complexity = result.complexity or rules.complexity(result.flags, result.severity, length)
        result.explanation.append(f"severity={result.severity}, complexity={result.complexity} (policy rules)")
        if not text:
            result.explanation.append("empty text: nothing to classify")
        result.needs_review = language == "unknown" or not text or rules.needs_review(
            result.confidence, self.review_threshold)
        if result.needs_review:
            result.explanation.append(f"needs_review: confidence below {self.review_threshold} or text unusable")


def _learned_flags(model: LanguageModel, X, n: int) -> list[dict[str, tuple[float, list[str]]]]:
    """Each text's learned flags at or above the bar, with the n-grams that pushed them there."""
    out: list[dict[str, tuple[float, list[str]]]] = [{} for _ in range(n)]
    for flag, linear in model.flag_models().items():
        present = softmax(linear.logits(X))[:, linear.classes.index("present")]
        for row in np.flatnonzero(present >= rules.LEARNED_FLAG_AT):
            terms = linear.top_terms(X, int(row), "present", model.vocabulary.terms, k=3)
            out[row][flag] = (round(float(present[row]), 2), terms)
    return out


def _reason(lexicon_terms: list[str], model_terms: list[str]) -> str:
    parts = []
    if lexicon_terms:
        parts.append("lexicon " + "、".join(lexicon_terms[:5]))
    if model_terms:
        parts.append("model n-grams " + "、".join(model_terms[:5]))
    return "; ".join(parts) or "no distinctive words (prior)"
