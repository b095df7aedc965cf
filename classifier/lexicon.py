"""The curated lexicon: weighted terms per code, and flag rules aware of negation and conditions.

Pure logic: no I/O beyond reading the packaged JSON. Every hit keeps the term, so an
explanation can quote the words that decided a code.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from classifier.features import is_han
from classifier.terms import GatedPattern, GateIndex, TermIndex

SCORE_CAP = 6.0  # past this many weight points more keywords add no more certainty
_AGE = re.compile(r"(\d{2,3}|[一二三四五六七八九]?十[一二三四五六七八九]?)\s*(?:岁|周岁)")
_DIGIT = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}


@dataclass(frozen=True)
class FlagHit:
    """One flag term found in a text, and whether a negation cancelled it.

    An excluded hit is a phrase the lexicon says is not this flag (an exclusion, an age below the
    bar): it raises nothing and stops the learned flag model from raising the flag on those words.
    """

    flag: str
    term: str
    negated: bool
    conditional: bool
    excluded: bool = False


class Lexicon:
    """Terms and rules loaded from the lexicon JSON (see classifier/data/lexicon.json)."""

    def __init__(self, data: dict) -> None:
        self.version: str = data["version"]
        # The content's hash (its free-text note aside), so a model trained on an edited lexicon
        # differs even if the version was not bumped.
        content = json.dumps({k: v for k, v in data.items() if k != "note"}, sort_keys=True, ensure_ascii=False)
        self.digest = hashlib.sha256(content.encode()).hexdigest()[:12]
        self.fusion_weight: dict[str, float] = data["fusion_weight"]
        self._breaks = set(data["clause_breaks"])
        self._neg_before = tuple(data["negation_before"])
        self._neg_after = tuple(data["negation_after"])
        self._conditions = tuple(data["condition_markers"])
        # Terms are lower-cased once here; matching runs on lower-cased text.
        self._scored = {dim: {code: {lang: [(t.lower(), w) for t, w in terms.items()] for lang, terms in by_lang.items()}
                              for code, by_lang in data[dim].items()}
                        for dim in ("business_line", "cause", "emotion")}
        self._flags = {flag: {**rule, **{lang: [t.lower() for t in rule.get(lang, ())] for lang in ("zh", "en")},
                              "exclude_lower": [t.lower() for t in rule.get("exclude", ())]}
                       for flag, rule in data["flags"].items()}
        self.group_size_at_least: int = data.get("group_size_at_least", 3)
        # Patterns catch counted phrases a term list cannot ("投诉了三次", "四十余户村民", "called them five times");
        # "patterns" are Chinese, "patterns_en" English.
        self._patterns = {lang: {flag: [GatedPattern(p) for p in rule.get(key, ())]
                                 for flag, rule in self._flags.items()}
                          for lang, key in (("zh", "patterns"), ("en", "patterns_en"))}
        # Exclusions that a fixed phrase cannot say ("起诉我" but not "起诉我行", "被…告上法庭").
        self._exclude_patterns = {flag: [GatedPattern(p) for p in rule.get("exclude_patterns", ())]
                                  for flag, rule in self._flags.items()}
        self._index = {lang: TermIndex(self._terms(lang), whole_words=lang == "en") for lang in ("zh", "en")}
        excluding = [p for patterns in self._exclude_patterns.values() for p in patterns]
        phrases = [t for rule in self._flags.values() for t in rule["exclude_lower"]]
        self._gates = {lang: GateIndex([p for ps in self._patterns[lang].values() for p in ps] + excluding, phrases)
                       for lang in ("zh", "en")}

    def _terms(self, language: str) -> list[str]:
        scored = [t for by_code in self._scored.values() for by_lang in by_code.values()
                  for t, _ in by_lang.get(language, ())]
        return scored + [t for rule in self._flags.values() for t in rule[language]]

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """The lexicon at path, or the packaged default."""
        if path is None:
            return default_lexicon()
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def find(self, lowered: str, language: str) -> dict[str, list[int]]:
        """Every lexicon term of the language in the text, with its start positions (one pass)."""
        index = self._index.get(language)
        return index.find(lowered) if index else {}

    def scores(self, dimension: str, found: dict[str, list[int]], language: str) -> dict[str, tuple[float, list[str]]]:
        """Per code: the summed weight of its terms found in the text (see find), and those terms."""
        scored: dict[str, tuple[float, list[str]]] = {}
        for code, by_language in self._scored[dimension].items():
            hits = [(t, w) for t, w in by_language.get(language, ()) if t in found]
            if hits:
                scored[code] = (sum(w for _, w in hits), [t for t, _ in hits])
        return scored

    def evidence(self, dimension: str, found: dict[str, list[int]], language: str, codes: list[str]) -> list[float]:
        """Per code (in the given order), its lexicon weight capped at SCORE_CAP."""
        scored = self.scores(dimension, found, language)
        return [min(scored[code][0], SCORE_CAP) if code in scored else 0.0 for code in codes]

    def flag_hits(self, lowered: str, language: str, found: dict[str, list[int]] | None = None) -> list[FlagHit]:
        """Every flag term in the text, each marked negated or conditional."""
        found = self.find(lowered, language) if found is None else found
        # One automaton pass finds the exclusion phrases and every literal the patterns need.
        seen = self._gates[language].find(lowered)
        literals = frozenset(seen)
        hits = []
        for flag, rule in self._flags.items():
            present = [term for term in rule[language] if term in found]
            candidates = self._patterns.get(language, {}).get(flag, ())
            if not present and not candidates and "age_at_least" not in rule:
                continue
            patterns = [p for p in candidates if p.admits(literals)]
            found_excluded = self._exclusions(flag, rule, lowered, seen, literals)
            excluded = [span for _, span in found_excluded]
            hits.extend(FlagHit(flag, ex, False, False, excluded=True) for ex, _ in found_excluded)
            for term in present:
                hits.extend(self._term_hits(flag, term, found[term], lowered, excluded))
            for pattern in patterns:
                hits.extend(self._pattern_hits(flag, pattern, lowered, excluded))
            if rule.get("age_at_least") and language == "zh":  # English ages are patterns_en
                hits.extend(self._age_hits(flag, rule, lowered))
        return hits

    def _exclusions(self, flag: str, rule: dict, lowered: str, seen: dict[str, list[int]],
                    literals: frozenset[str]) -> list[tuple[str, tuple[int, int]]]:
        phrases = [(ex, (start, start + len(ex))) for ex in rule["exclude_lower"] for start in seen.get(ex, ())]
        return phrases + [(m.group(0), m.span()) for p in self._exclude_patterns[flag] if p.admits(literals)
                          for m in p.regex.finditer(lowered)]

    def _age_hits(self, flag: str, rule: dict, lowered: str) -> list[FlagHit]:
        # An adult's age below the bar is evidence against the flag (an excluded hit); a minor's is for it.
        age, minor = rule["age_at_least"], rule.get("age_below", 0)
        return [FlagHit(flag, m.group(0), False, False, excluded=minor <= _years(m.group(1)) < age)
                for m in _AGE.finditer(lowered)]

    def _term_hits(self, flag: str, term: str, starts: list[int], lowered: str,
                   excluded: list[tuple[int, int]]) -> list[FlagHit]:
        hits = []
        for start in starts:
            end = start + len(term)
            if any(a <= start and end <= b for a, b in excluded):
                continue
            negated, conditional = self._negation(lowered, start, end)
            hits.append(FlagHit(flag, term, negated or self._declined(flag, lowered, end), conditional))
        return hits

    def _pattern_hits(self, flag: str, pattern: GatedPattern, lowered: str,
                      excluded: list[tuple[int, int]]) -> list[FlagHit]:
        hits = []
        for match in pattern.regex.finditer(lowered):
            if not any(a <= match.start() and match.end() <= b for a, b in excluded):
                negated, conditional = self._negation(lowered, match.start(), match.end())
                negated = negated or self._declined(flag, lowered, match.end())
                hits.append(FlagHit(flag, match.group(0), negated, conditional))
        return hits

    def _negation(self, lowered: str, start: int, end: int) -> tuple[bool, bool]:
        """(negated, conditional) for the term at start..end, judged within its clause."""
        before = lowered[self._clause_start(lowered, start):start]
        after = lowered[end:self._clause_end(lowered, end)]
        conditional = any(marker in before for marker in self._conditions)
        cue = max((before.rfind(neg) for neg in self._neg_before), default=-1)
        # "如果你们不会处理，我就曝光": a condition marker after the negation cue means the
        # negation belongs to the condition, not to the threat, so the threat stands.
        negated = cue >= 0 and not any(m in before[cue:] for m in self._conditions if m not in ("若",))
        negated = negated or any(after.startswith(neg) or neg in after[:8] for neg in self._neg_after)
        return negated, conditional and not negated

    def _declined(self, flag: str, lowered: str, end: int) -> bool:
        """A phrase later in the same sentence says the customer turned it down ("…征信修复公司打电话，我没理")."""
        phrases = self._flags[flag].get("declined_after", ())
        if not phrases:
            return False
        stops = [i for i in (lowered.find(mark, end) for mark in ("。", "！", "？", "!", "?", ". ")) if i >= 0]
        sentence = lowered[end:min(stops, default=len(lowered))]
        return any(phrase in sentence for phrase in phrases)

    def _clause_start(self, text: str, index: int) -> int:
        reach = _reach(text, index, 40)
        for i in range(index - 1, max(-1, index - reach), -1):
            if self._breaks_at(text, i):
                return i + 1
        return max(0, index - reach)

    def _clause_end(self, text: str, index: int) -> int:
        reach = _reach(text, index - 1, 20)
        for i in range(index, min(len(text), index + reach)):
            if self._breaks_at(text, i):
                return i
        return min(len(text), index + reach)

    def _breaks_at(self, text: str, i: int) -> bool:
        # Chat messages often separate clauses by a space instead of punctuation ("不会亏的 现在怎么办");
        # only between two Chinese characters, so English clauses stay whole.
        if text[i] == " ":
            return 0 < i < len(text) - 1 and is_han(text[i - 1]) and is_han(text[i + 1])
        if text[i] == ".":  # an English full stop, not a decimal point ("3.5")
            return i == len(text) - 1 or text[i + 1] == " "
        return text[i] in self._breaks


def _reach(text: str, index: int, chinese: int) -> int:
    """How far a clause may reach from a term: a Chinese character carries about as much as an English word."""
    return chinese if 0 <= index < len(text) and is_han(text[index]) else chinese * 3


def _years(number: str) -> int:
    """An age written in digits or in Chinese numerals up to 九十九 ("六十九" -> 69)."""
    if number.isdigit():
        return int(number)
    tens, _, units = number.partition("十")
    return _DIGIT.get(tens, 1) * 10 + _DIGIT.get(units, 0)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped with the package."""
    raw = resources.files("classifier").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    return Lexicon(json.loads(raw))
