"""Is a new complaint the same matter as an earlier one from the same person? Pure logic."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")
# Placeholders left by redaction, the words every complaint uses and the way call-centre staff
# retell a complaint ("客户来电反映") carry no signal about the matter; without removing them,
# two different matters of one person look alike.
_NOISE = re.compile(
    r"\[[a-z_]+\]|客户来电|来电|反映|客户|本人|我的|没有|已经|什么|时候|一直|现在|到底|我们|他们|这个|那个|因为|"
    r"所以|但是|结果|之前|当时|说是|要求|投诉|银行|请求|请|尽快|处理|核实|说明|您好|你好|谢谢"
)
_STOP_EN = frozenset("the a an i my me was were is are of to on in for and or it that this with at by be been yet "
                     "please request full would".split())
# Open means no SLA outcome yet; a met or missed decision clock closed the complaint.
CLOSED_STATES = frozenset({"met", "missed"})
# A text's weighted features and the vector's norm.
Vector = tuple[dict[str, float], float]


@dataclass(frozen=True)
class Candidate:
    """An earlier complaint of the same complainant, as the matcher needs it."""

    complaint_id: str
    content: str
    product_hint: str | None
    received_at: datetime
    sla_state: str | None = None


@dataclass(frozen=True)
class Policy:
    """How close two complaints must be, and how far apart in time, to be one matter."""

    threshold: float = 0.20
    window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Match:
    """The earlier complaint a new one duplicates, with the score and the reason."""

    complaint_id: str
    similarity: float
    reason: str


def features(text: str) -> Counter[str]:
    """Characters and character bigrams for Chinese, words and word pairs for Latin text (counts)."""
    text = _NOISE.sub(" ", unicodedata.normalize("NFKC", text).lower())
    grams: Counter[str] = Counter()
    for run in _HAN_RUN.findall(text):
        grams.update(run)
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
    words = [w for w in _WORD.findall(text) if w not in _STOP_EN]
    grams.update(words)
    grams.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    return grams


def cosine(a: Counter[str], b: Counter[str]) -> float:
    """Cosine similarity of two count vectors (sublinear counts, so one repeated phrase does not dominate)."""
    return _cosine(_weighted(a), _weighted(b))


def _weighted(counts: Counter[str]) -> Vector:
    weights = {k: 1 + math.log(v) for k, v in counts.items()}
    return weights, math.sqrt(sum(w * w for w in weights.values()))


def _cosine(a: Vector, b: Vector) -> float:
    (wa, norm_a), (wb, norm_b) = a, b
    if not wa or not wb:
        return 0.0
    return sum(w * wb[k] for k, w in wa.items() if k in wb) / (norm_a * norm_b)


class _VectorCache:
    """Recently used texts' vectors, bounded by their total number of features (memory), least recent dropped.

    A person's earlier complaints are compared again at each new complaint of theirs; computing their
    features each time was the largest part of duplicate search.
    """

    def __init__(self, max_features: int) -> None:
        self._max_features = max_features
        self._size = 0
        self._entries: OrderedDict[str, Vector] = OrderedDict()

    def __contains__(self, text: str) -> bool:
        return text in self._entries

    @property
    def features_held(self) -> int:
        """How many features the cached vectors hold in all (what the budget bounds)."""
        return self._size

    def vector(self, text: str) -> Vector:
        """The text's weighted feature vector, computed at most once while it stays cached."""
        found = self._entries.get(text)
        if found is not None:
            self._entries.move_to_end(text)
            return found
        vector = _weighted(features(text))
        if len(vector[0]) <= self._max_features // 100:  # a very long text would evict many short ones
            self._entries[text] = vector
            self._size += len(vector[0])
            while self._size > self._max_features:
                self._size -= len(self._entries.popitem(last=False)[1][0])
        return vector


# About 40 MB at most: some 100 bytes per feature (dict slot, key string, float).
_CACHE = _VectorCache(max_features=400_000)


def _vector(text: str) -> Vector:
    return _CACHE.vector(text)


def score(text_a: str, hint_a: str | None, text_b: str, hint_b: str | None) -> float | None:
    """Text similarity in [0, 1]; None when both carry product hints and they differ (not one matter).

    A matching hint adds nothing: on the labelled set a bonus linked a person's different matters
    about the same product (fee vs. limit on one credit card) more than it found true duplicates.
    """
    return _score(_vector(text_a), hint_a, text_b, hint_b)


def _score(vector_a: Vector, hint_a: str | None, text_b: str,
           hint_b: str | None) -> float | None:
    if hint_a and hint_b and _norm_hint(hint_a) != _norm_hint(hint_b):
        return None
    return _cosine(vector_a, _vector(text_b))


@functools.lru_cache(maxsize=1024)  # products are few; keys are short strings
def _norm_hint(hint: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", hint).lower())


def find_duplicate(
    content: str, product_hint: str | None, received_at: datetime, candidates: list[Candidate],
    policy: Policy, *, regulator_transfer: bool = False,
) -> Match | None:
    """The most similar earlier open complaint above the threshold, if any."""
    best: Match | None = None
    mine = _vector(content)  # once, not once per candidate
    for candidate in candidates:
        if not _eligible(candidate, received_at, policy, regulator_transfer):
            continue
        similarity = _score(mine, product_hint, candidate.content, candidate.product_hint)
        if similarity is None or similarity < policy.threshold:
            continue
        if best is None or similarity > best.similarity:
            reason = "regulator transfer of an open complaint" if regulator_transfer else "same complainant, similar text"
            best = Match(candidate.complaint_id, round(similarity, 4), reason)
    return best


def _eligible(candidate: Candidate, received_at: datetime, policy: Policy, regulator_transfer: bool) -> bool:
    if candidate.sla_state in CLOSED_STATES:
        return False
    # A regulator transfer may arrive long after the original; it is linked while that is open.
    return regulator_transfer or abs(received_at - candidate.received_at) <= policy.window
