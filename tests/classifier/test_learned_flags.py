"""Learned flag models: a second reader beside the lexicon that never overrules it."""

from __future__ import annotations

from classifier import rules, training
from classifier.lexicon import FlagHit
from classifier.model import ModelBundle
from classifier.pipeline import Classifier

TOPICS = ["信用卡年费", "房贷利率", "定期存款利息", "借记卡冻结", "手机银行登录", "理财赎回", "转账到账慢",
          "残币兑换", "征信逾期记录", "催收电话", "营销短信", "经营贷续贷"]


def _examples() -> list[training.Example]:
    """Twelve texts that say the bank repeats itself like a parrot (a repeat complaint), twelve that do not.

    复读机 is in no lexicon list, so only a learned model can connect it with the flag.
    """
    examples = []
    for i, topic in enumerate(TOPICS):
        line = "credit_card" if i % 2 else "deposit"
        for text, flags in ((f"{topic}的事客服像复读机一样，说来说去还是那几句。", ["repeat_complaint"]),
                            (f"{topic}的问题请尽快核实处理，谢谢。", [])):
            labels = {"business_line": line, "cause": "rules_process", "emotion": "dissatisfied"}
            examples.append(training.Example(text, "zh", labels, flags=flags))
    return examples


def test_a_learned_flag_is_raised_with_its_probability_and_ngrams():
    flags, notes = rules.decide_flags([], None, {}, 1, 3, {"repeat_complaint": (0.81, ["复读机", "读机"])})
    assert flags == ["repeat_complaint"]
    assert notes == ["flag repeat_complaint: model 0.81 (n-grams 复读机、读机)"]


def test_a_learned_flag_below_the_bar_is_not_raised():
    flags, _ = rules.decide_flags([], None, {}, 1, 3, {"repeat_complaint": (0.49, ["复读机"])})
    assert flags == []


def test_a_learned_flag_never_overrules_a_negation_or_an_exclusion():
    learned = {"media_exposure": (0.95, ["曝光"]), "litigation": (0.95, ["起诉"])}
    hits = [FlagHit("media_exposure", "曝光", negated=True, conditional=False),
            FlagHit("litigation", "银行起诉", negated=False, conditional=False, excluded=True)]
    flags, notes = rules.decide_flags(hits, None, {}, 1, 3, learned)
    assert flags == []
    assert "not flagged media_exposure: negated (曝光)" in notes


def test_flag_models_are_trained_saved_and_used_when_the_lexicon_is_silent(classifier, tmp_path):
    bundle = training.train(training.TrainingSet(_examples()), classifier.lexicon, classifier.taxonomy)
    assert set(bundle.languages["zh"].flag_models()) == {"repeat_complaint"}  # the only flag with 10 of each side
    reloaded = ModelBundle.load(bundle.save(tmp_path))
    assert set(reloaded.languages["zh"].flag_models()) == {"repeat_complaint"}

    result = Classifier(reloaded, classifier.lexicon, classifier.taxonomy).classify("存款利息的事客服就是个复读机。")
    assert "repeat_complaint" in result.flags
    assert any(line.startswith("flag repeat_complaint: model") for line in result.explanation)
    assert "repeat_complaint" not in Classifier(reloaded, classifier.lexicon, classifier.taxonomy).classify(
        "存款利息的问题请尽快核实处理。").flags


def test_unlabelled_examples_train_no_flag_model():
    examples = _examples()
    for example in examples:
        example.flags = None
    bundle = training.train(training.TrainingSet(examples))
    assert bundle.languages["zh"].flag_models() == {}


def test_the_packaged_model_learns_every_flag_and_english_emotion(classifier):
    languages = classifier.bundle.languages
    for language in ("zh", "en"):
        assert set(languages[language].flag_models()) == set(classifier.taxonomy.labels("flags"))
    # English emotion is learnt from the written English complaints alone (CFPB rows carry none).
    assert set(languages["en"].dimensions["emotion"].classes) == set(classifier.taxonomy.labels("emotion"))


def test_the_written_english_complaints_teach_flags_and_emotion_but_not_business_lines():
    from classifier import training

    examples = training.english_flag_examples()
    assert len(examples) >= 300
    assert all(ex.labels["business_line"] is None and ex.labels["cause"] is None for ex in examples)
    assert all(ex.flags is not None and ex.labels["emotion"] for ex in examples)
