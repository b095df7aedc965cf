"""Find every lexicon term of one language in a text with one pass of an Aho-Corasick automaton.

Testing each of a few hundred terms with ``term in text`` rescans an 800-character English
narrative hundreds of times; the automaton reads it once, whatever the number of terms.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


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
