"""Whole results: codes with reasons, review routing, languages, empty and huge texts."""

from __future__ import annotations

from classifier.features import MAX_CHARS, detect_language
from classifier.pipeline import Classifier, ClassifyInput


def test_classifies_a_clear_complaint_and_explains_each_dimension(classifier):
    result = classifier.classify("信用卡年费被乱扣了六百元，办卡时说免年费，要求退还。")
    assert (result.business_line, result.cause) == ("credit_card", "pricing_fees")
    assert not result.needs_review
    explained = {line.split("=")[0] for line in result.explanation}
    assert {"business_line", "cause", "emotion", "severity"} <= explained
    assert "信用卡" in next(line for line in result.explanation if line.startswith("business_line="))


def test_low_confidence_is_routed_to_review(classifier):
    result = classifier.classify("我想反映一下这个情况，希望你们重视。")
    assert min(result.confidence["business_line"], result.confidence["cause"]) < classifier.review_threshold
    assert result.needs_review
    assert any(line.startswith("needs_review") for line in result.explanation)


def test_the_review_threshold_is_a_setting(classifier):
    text = "信用卡年费被乱扣了，要求退还。"
    confidence = classifier.classify(text).confidence
    lowest = min(confidence["business_line"], confidence["cause"])
    at = Classifier(classifier.bundle, classifier.lexicon, classifier.taxonomy, review_threshold=lowest)
    above = Classifier(classifier.bundle, classifier.lexicon, classifier.taxonomy, review_threshold=lowest + 0.001)
    assert not at.classify(text).needs_review
    assert above.classify(text).needs_review


def test_english_complaints_map_onto_the_same_codes(classifier):
    result = classifier.classify("Equifax keeps reporting a late payment on my credit report that is not mine.")
    assert result.language == "en"
    assert result.business_line == "credit_reporting"


def test_an_unknown_language_gets_a_clear_result_for_review(classifier):
    for text in ("Это жалоба на банк, деньги пропали", "12345 678 !!! ???"):
        result = classifier.classify(text)
        assert result.language == "unknown"
        assert (result.business_line, result.cause) == ("other", "other")
        assert result.needs_review
        assert "language=unknown" in result.explanation


def test_empty_text_is_answered_not_rejected(classifier):
    result = classifier.classify(ClassifyInput(""))
    assert result.needs_review and result.business_line == "other"
    assert "empty text: nothing to classify" in result.explanation


def test_huge_text_is_cut_and_says_so(classifier):
    result = classifier.classify("信用卡年费被乱收，要求退还。" * 20_000)
    assert result.business_line == "credit_card"
    assert f"long text: only the first {MAX_CHARS} characters were read" in result.explanation


def test_redaction_placeholders_do_not_make_chinese_look_english(classifier):
    text = "我的卡号[CARD_NUMBER]被盗刷，联系电话[PHONE]，邮箱[EMAIL]。"
    assert detect_language(text) == "zh"
    assert classifier.classify(text).language == "zh"


def test_a_batch_keeps_input_order_across_languages(classifier):
    items = [ClassifyInput("信用卡年费被乱收"), ClassifyInput("My mortgage servicer lost my payment again."),
             ClassifyInput("征信上有一条不是我的逾期记录")]
    assert [r.language for r in classifier.classify_many(items)] == ["zh", "en", "zh"]
