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


def test_a_pattern_gate_names_the_literals_every_match_needs():
    from classifier.terms import _required_literals

    gates = _required_literals(r"\b(complained|wrote)( to \w+)? (twice|\d+ times)\b")
    assert gates == (("complained", "wrote"), ("twice", " times"))
    assert _required_literals(r"\b(sue|sued) (me|us)\b") == (("sue me", "sue us", "sued me", "sued us"),)
    assert _required_literals(r"(?<!另)行起诉") == (("行起诉",),)
    assert _required_literals(r"\b(th|nd)\b") == ()  # too short to rule anything out


def test_gated_patterns_find_exactly_what_the_plain_regex_finds():
    """Soundness on real text: every lexicon pattern, every evaluation and CFPB text."""
    import json
    from importlib import resources

    from classifier import cfpb
    from classifier.features import normalise
    from classifier.lexicon import default_lexicon

    lexicon = default_lexicon()
    data = resources.files("classifier").joinpath("data/eval")
    texts = [normalise(json.loads(line)["text"]) for name in ("zh_eval.jsonl", "zh_eval_tenth.jsonl")
             for line in data.joinpath(name).read_text(encoding="utf-8").splitlines()]
    texts += [normalise(row["text"]) for row in cfpb.load_rows()[:600]]
    for language in ("zh", "en"):
        patterns = [p for ps in lexicon._patterns[language].values() for p in ps]
        patterns += [p for ps in lexicon._exclude_patterns.values() for p in ps]
        for text in texts:
            literals = frozenset(lexicon._gates[language].find(text))
            for pattern in patterns:
                if not pattern.admits(literals):  # a pattern kept from running must have nothing to find
                    assert pattern.regex.search(text) is None, (pattern.regex.pattern, text[:60])
