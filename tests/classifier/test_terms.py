"""The term index: one pass finds every lexicon term, English ones only as whole words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from classifier.features import detect_language
from classifier.terms import TermIndex


def test_english_terms_count_only_as_whole_words():
    index = TermIndex(["sue", "app", "credit card", "card"], whole_words=True)
    text = "the issue: my credit card app was happy to decline the card."
    card = text.index("credit card")
    assert index.find(text) == {"credit card": [card], "card": [card + 7, text.rindex("card")],
                                "app": [text.index("app ")]}


def test_overlapping_and_repeated_chinese_terms_are_all_found():
    index = TermIndex(["信用卡", "用卡", "年费"], whole_words=False)
    assert index.find("信用卡年费，信用卡") == {"信用卡": [0, 6], "用卡": [1, 7], "年费": [3]}


def test_an_empty_index_or_text_finds_nothing():
    assert TermIndex([], whole_words=True).find("anything at all") == {}
    assert TermIndex(["loan"], whole_words=True).find("") == {}


@given(st.lists(st.sampled_from(["loan", "payday", "my", "a", "b", "x!", "-", " ", ".", "9"]), max_size=30))
def test_whole_word_matches_agree_with_a_plain_scan(words):
    text = "".join(words)
    index = TermIndex(["loan", "payday loan", "a b"], whole_words=True)
    expected: dict[str, list[int]] = {}
    for term in ("loan", "payday loan", "a b"):
        for start in range(len(text) - len(term) + 1):
            end = start + len(term)
            if text[start:end] == term and _edge(text, start - 1) and _edge(text, end):
                expected.setdefault(term, []).append(start)
    assert {t: sorted(p) for t, p in index.find(text).items()} == expected


@given(st.text(alphabet="abcXYZ 019[]PHONE!\n\t", max_size=40))
def test_ascii_language_detection_needs_eight_letters_outside_placeholders(text):
    letters = sum(c.isalpha() for c in text.replace("[PHONE]", " "))
    assert detect_language(text) == ("en" if letters >= 8 else "unknown")


def _edge(text: str, i: int) -> bool:
    return i < 0 or i >= len(text) or not (text[i].isascii() and text[i].isalnum())
