"""Find every lexicon term of one language in a text with one pass of an Aho-Corasick automaton.

Testing each of a few hundred terms with ``term in text`` rescans an 800-character English
narrative hundreds of times; the automaton reads it once, whatever the number of terms. The same
pass tells which lexicon patterns can match at all (``GatedPattern``), so the others never run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

# The standard library's own regex parser, to read which literals a pattern cannot match without.
from re import _constants, _parser  # noqa: PLC2701

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_MAX_SPELLINGS = 64  # past this many spellings a group is not worth spelling out as a gate


class TermIndex:
    """The start positions of every term found in a lower-cased text."""

    def __init__(self, terms: Iterable[str], *, whole_words: bool) -> None:
        self.whole_words = whole_words
        self._automaton = ahocorasick.Automaton()
        for term in sorted({t for t in terms if t}):
            self._automaton.add_word(term, term)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, lowered: str) -> dict[str, list[int]]:
        """Term -> start positions; English terms count only as whole words ("sue" not in "issue")."""
        found: dict[str, list[int]] = {}
        if self._empty or not lowered:
            return found
        for end, term in self._automaton.iter(lowered):
            start = end - len(term) + 1
            if self.whole_words and not _bounded(lowered, start, end + 1):
                continue
            found.setdefault(term, []).append(start)
        return found


def _bounded(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] not in _WORD_CHARS) and (end >= len(text) or text[end] not in _WORD_CHARS)


class GatedPattern:
    """A lexicon regex that runs only when the literals it cannot match without are in the text.

    Most patterns need words such as " times" and one of (complained|called|wrote), or one of
    (投诉|反映|申诉): a set lookup costs far less than a regex scan of an 800-character narrative.
    """

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        self.gates = tuple(frozenset(gate) for gate in _required_literals(pattern))

    def admits(self, present: frozenset[str]) -> bool:
        """Whether a text with these literals present can match at all."""
        return not any(gate.isdisjoint(present) for gate in self.gates)


class GateIndex:
    """The gate literals of a set of patterns, and other phrases, found in a text in one automaton pass."""

    def __init__(self, patterns: Iterable[GatedPattern], phrases: Iterable[str] = ()) -> None:
        literals = {literal for pattern in patterns for gate in pattern.gates for literal in gate}
        self._index = TermIndex(literals | set(phrases), whole_words=False)

    def find(self, lowered: str) -> dict[str, list[int]]:
        """Literal or phrase -> start positions, found anywhere in the text (as substrings)."""
        return self._index.find(lowered)


def _required_literals(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Groups of literals, one of each group in every match of the pattern."""
    return tuple(_required(_parser.parse(pattern)))


def _required(items) -> list[tuple[str, ...]]:
    """The gates of a sequence: its runs of fixed text (with small alternations spelt out)."""
    gates: list[tuple[str, ...]] = []
    current = [""]
    for op, arg in items:
        strings = _finite(op, arg)
        if strings is not None and len(current) * len(strings) <= _MAX_SPELLINGS:
            current = [head + tail for head in current for tail in strings]
            continue
        _emit(gates, current)
        current = strings or [""]
        if strings is None and op is _constants.SUBPATTERN:
            gates += _required(arg[-1])
        elif strings is None and op is _constants.BRANCH:
            _emit(gates, _branch_gate(arg[1]))
    _emit(gates, current)
    return gates


def _finite(op, arg) -> list[str] | None:
    """Every text an item can match, when that is a short list of fixed strings."""
    if op is _constants.LITERAL:
        return [chr(arg)]
    if op is _constants.SUBPATTERN:
        return _expand(arg[-1])
    if op is _constants.BRANCH:
        spelt = [_expand(branch) for branch in arg[1]]
        return None if any(s is None for s in spelt) else [s for strings in spelt for s in strings]
    return None


def _expand(items) -> list[str] | None:
    current = [""]
    for op, arg in items:
        strings = _finite(op, arg)
        if strings is None or len(current) * len(strings) > _MAX_SPELLINGS:
            return None
        current = [head + tail for head in current for tail in strings]
    return current


def _branch_gate(branches) -> list[str]:
    """One literal set per alternative ("\\d+ times" needs " times"); none if an alternative has none."""
    literals: list[str] = []
    for branch in branches:
        spelt = _expand(branch)
        gates = [tuple(spelt)] if spelt is not None else _required(branch)
        if not gates:
            return [""]
        literals += max(gates, key=lambda gate: min(len(word) for word in gate))
    return literals


def _emit(gates: list[tuple[str, ...]], strings: list[str]) -> None:
    # Short literals ("次", "he ", "th") are in nearly every text: they cost the automaton matches
    # and rule nothing out. Two Chinese characters, or four other characters, make a useful gate.
    if strings and all(len(s) >= (4 if s.isascii() else 2) for s in strings):
        gates.append(tuple(strings))
