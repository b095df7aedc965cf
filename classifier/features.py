"""Text features: language detection, normalisation, n-grams and a TF-IDF vocabulary.

Pure logic. Kept separate from the model so a stronger representation can replace it behind
the same ``transform(texts) -> sparse matrix`` interface.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_SCRIPT = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u3040-\u30ff\uac00-\ud7af\u0e00-\u0e7f]")
_EN_TOKEN = re.compile(r"[a-z][a-z']+")
_DIGITS = re.compile(r"\d+")
_EIGHT_LETTERS = re.compile(r"(?:[^A-Za-z]*+[A-Za-z]){8}")
_PLACEHOLDER = re.compile(r"\[(PHONE|ID_NUMBER|CARD_NUMBER|EMAIL)\]")
_REDACTED = {"xxxx", "xx", "xxx"}
MAX_CHARS = 20_000


def is_han(char: str) -> bool:
    """Whether one character is a Chinese (Han) character."""
    return _CJK.match(char) is not None


def detect_language(text: str) -> str:
    """'zh', 'en' or 'unknown', from the share of Han characters, Latin letters and other scripts."""
    if text.isascii():  # no Han or other script to weigh, so only "enough letters?" is left to ask
        letters = _PLACEHOLDER.sub(" ", text) if "[" in text else text
        return "en" if _EIGHT_LETTERS.match(letters) else "unknown"
    han = len(_CJK.findall(text))
    latin = len(_LATIN.findall(_PLACEHOLDER.sub(" ", text)))
    other = len(_OTHER_SCRIPT.findall(text))
    if other > han + latin:
        return "unknown"
    # Han carries several letters' worth of meaning per character, hence the factor.
    if han >= 2 and han * 4 >= latin:
        return "zh"
    if latin >= 8:
        return "en"
    return "zh" if han >= 2 else "unknown"


def normalise(text: str) -> str:
    """Lower-case, collapse whitespace, cap the length (huge texts are cut, not rejected)."""
    text = text[:MAX_CHARS]
    if "[" in text:
        text = _PLACEHOLDER.sub(lambda m: f" <{m.group(1).lower()}> ", text)
    return " ".join(text.split()).lower()


def ngrams_zh(text: str) -> list[str]:
    """Character 1-3 grams with digits folded, so amounts and dates do not split features."""
    chars = _DIGITS.sub("0", text).replace(" ", "")
    grams = list(chars)
    grams += [chars[i:i + 2] for i in range(len(chars) - 1)]
    grams += [chars[i:i + 3] for i in range(len(chars) - 2)]
    return grams


def ngrams_en(text: str) -> list[str]:
    """Word unigrams and bigrams, without the redaction marks of the CFPB export."""
    words = [w for w in _EN_TOKEN.findall(text) if w not in _REDACTED]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


ANALYZERS = {"zh": ngrams_zh, "en": ngrams_en}


class Vocabulary:
    """A TF-IDF vocabulary (sublinear tf, smooth idf, l2 rows), fitted on training texts."""

    def __init__(self, language: str, terms: Sequence[str], idf: np.ndarray) -> None:
        self.language = language
        self.terms = list(terms)
        self.index = {term: i for i, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self._analyze = ANALYZERS[language]

    @classmethod
    def fit(cls, language: str, texts: Iterable[str], *, min_df: int = 2, max_terms: int = 60_000) -> Vocabulary:
        """Keep the terms seen in at least min_df texts, the most frequent first."""
        analyze = ANALYZERS[language]
        df: Counter[str] = Counter()
        count = 0
        for text in texts:
            df.update(set(analyze(text)))
            count += 1
        kept = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t))[:max_terms]
        kept.sort()
        idf = np.array([math.log((1 + count) / (1 + df[t])) + 1 for t in kept], dtype=np.float32)
        return cls(language, kept, idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One l2-normalised TF-IDF row per text (the arithmetic runs once for the whole batch)."""
        lookup, analyze = self.index.get, self._analyze
        indptr, indices, counts = [0], [], []
        for text in texts:
            row = Counter(map(lookup, analyze(text)))
            row.pop(None, None)
            indices.extend(row)
            counts.extend(row.values())
            indptr.append(len(indices))
        columns = np.array(indices, dtype=np.int32)
        values = (1 + np.log(np.array(counts, dtype=np.float32))) * self.idf[columns]
        rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts))).astype(np.float32)
        values /= np.where(norms > 0, norms, 1)[rows]
        matrix = sparse.csr_matrix((values, columns, np.array(indptr)), shape=(len(texts), len(self.terms)))
        matrix.sort_indices()
        return matrix
