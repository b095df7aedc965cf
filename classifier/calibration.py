"""How far the lexicon moves a model, one offset per code, and a temperature for confidences.

Pure logic on out-of-fold scores of the training examples, so nothing here sees evaluation
data. Few numbers are fitted on purpose: one lexicon weight, one offset per code and one
temperature. The CFPB slice has three prepaid-card and twelve money-transfer narratives to
train on; richer fusion (a weight per code) would learn those classes from noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHOD = "oof-lexicon-weight-offsets-temperature-3"  # part of the model version
LEXICON_WEIGHTS = (0.1, 0.2, 0.3, 0.5)
OFFSET_STEPS = np.linspace(-3.0, 3.0, 25)  # in units of the mean absolute model score
OFFSET_ROUNDS = 2
# A code with fewer real examples than this keeps offset 0: three prepaid-card narratives say
# nothing about where its threshold belongs, and tuning on them buys their recall with many false hits.
MIN_ROWS_FOR_OFFSET = 10
TEMPERATURES = np.geomspace(0.25, 16.0, 49)


def settings() -> list:
    """Every number above, so a change to any of them changes the model version."""
    return [METHOD, LEXICON_WEIGHTS, OFFSET_STEPS.tolist(), OFFSET_ROUNDS, MIN_ROWS_FOR_OFFSET, TEMPERATURES.tolist()]


@dataclass(frozen=True)
class Calibration:
    """score = temperature * (model score + offset + lexicon_weight * lexicon evidence)."""

    lexicon_weight: float
    offsets: np.ndarray
    temperature: float


def macro_f1(gold: np.ndarray, predicted: np.ndarray, n_codes: int, weights: np.ndarray | None = None) -> float:
    """Macro-F1 over the codes present in gold or prediction, as `kesu classifier eval` computes it.

    With weights, each row counts that much (1 / class size gives a class-balanced sample's F1).
    """
    cells = np.bincount(gold * n_codes + predicted, weights=weights, minlength=n_codes * n_codes)
    confusion = cells.reshape(n_codes, n_codes)
    both = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = both > 0
    return float((2 * np.diag(confusion)[present] / both[present]).mean()) if present.any() else 0.0


def objective(gold: np.ndarray, predicted: np.ndarray, n_codes: int, balanced_share: float = 0.5) -> float:
    """Macro-F1 on the data as it is, mixed with macro-F1 on a class-balanced view of it.

    The issue scores business lines both ways: on the held-out part (mostly loans) and on a
    class-balanced sample. Either alone pulls one way: as it is rewards precision on small
    codes, balanced rewards their recall.
    """
    natural = macro_f1(gold, predicted, n_codes)
    if not balanced_share:
        return natural
    balanced = macro_f1(gold, predicted, n_codes, 1.0 / np.bincount(gold, minlength=n_codes)[gold])
    return (1 - balanced_share) * natural + balanced_share * balanced


def fit(scores: np.ndarray, evidence: np.ndarray, gold: np.ndarray, balanced_share: float = 0.5) -> Calibration:
    """The lexicon weight and offsets with the best out-of-fold objective, then the temperature."""
    n_codes = scores.shape[1]
    scale = float(np.abs(scores).mean()) or 1.0
    best: tuple[float, float, np.ndarray] | None = None
    for weight in LEXICON_WEIGHTS:
        offsets = _offsets(scores + weight * evidence, gold, scale, balanced_share)
        f1 = objective(gold, np.argmax(scores + weight * evidence + offsets, axis=1), n_codes, balanced_share)
        if best is None or f1 > best[0]:
            best = (f1, weight, offsets)
    _, weight, offsets = best
    return Calibration(weight, offsets, _temperature(scores + weight * evidence + offsets, gold))


def _offsets(logits: np.ndarray, gold: np.ndarray, scale: float, balanced_share: float) -> np.ndarray:
    """Coordinate ascent on per-code offsets; among equal scores the smallest offset wins."""
    n_codes = logits.shape[1]
    offsets = np.zeros(n_codes)
    tunable = [code for code in range(n_codes) if np.count_nonzero(gold == code) >= MIN_ROWS_FOR_OFFSET]
    for _ in range(OFFSET_ROUNDS):
        for code in tunable:
            candidates = []
            for step in OFFSET_STEPS * scale:
                trial = offsets.copy()
                trial[code] = step
                f1 = objective(gold, np.argmax(logits + trial, axis=1), n_codes, balanced_share)
                candidates.append((f1, -abs(step), step))
            offsets[code] = max(candidates)[2]
    return offsets


def _temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The scale that makes softmax(scale * logits) the best-calibrated probability (least log loss)."""
    def log_loss(t: float) -> float:
        scaled = t * logits
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float((log_norm - scaled[np.arange(len(gold)), gold]).mean())

    return float(min(TEMPERATURES, key=log_loss))
