"""Keyword rules: the first, transparent classifier (the trained model replaces it later).

Pure logic: no I/O. Each decision records the words that made it, for the explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MODEL_VERSION = "keywords-0.1"
TAXONOMY_VERSION = "jrt0169-2018-kesu-1"

BUSINESS_LINES: dict[str, tuple[str, ...]] = {
    "credit_card": ("信用卡", "年费", "分期", "额度", "积分", "credit card", "annual fee", "credit limit"),
    "wealth_management": ("理财", "基金", "净值", "信托", "保险", "贵金属", "investment", "fund"),
    "personal_loan": ("贷款", "房贷", "按揭", "提前还款", "消费贷", "mortgage", "loan"),
    "corporate_loan": ("抽贷", "断贷", "续贷", "展期", "企业贷款"),
    "deposit": ("存款", "定期", "大额存单", "利息", "deposit", "savings"),
    "debit_card": ("借记卡", "销户", "挂失", "冻结", "账户管理费", "checking account", "debit card"),
    "payment_settlement": ("转账", "汇款", "代发", "收单", "限额", "wire transfer", "money transfer"),
    "e_banking": ("手机银行", "网银", "APP", "验证码", "人脸识别", "mobile banking", "online banking"),
    "cash_services": ("拒收现金", "零钱", "残损币", "cash"),
    "credit_reporting": ("征信", "逾期记录", "credit report"),
    "personal_information": ("信息泄露", "骚扰", "个人信息", "privacy"),
    "debt_collection": ("催收", "催债", "debt collect", "collector"),
}

CAUSES: dict[str, tuple[str, ...]] = {
    "pricing_fees": ("收费", "年费", "手续费", "利息", "fee", "charge"),
    "service_quality": ("态度", "服务差", "排队", "rude", "service"),
    "marketing": ("推销", "营销", "误导", "承诺", "misled", "sales"),
    "funds_security": ("盗刷", "被骗", "资金安全", "fraud", "unauthorized"),
    "information_security": ("泄露", "个人信息", "privacy", "data breach"),
    "collection_methods": ("催收", "爆通讯录", "collector", "harass"),
    "facilities_systems": ("系统", "故障", "闪退", "app", "outage"),
    "contract_terms": ("合同", "条款", "contract", "terms"),
    "disclosure": ("未告知", "没有告知", "隐瞒", "disclose"),
}

FLAGS: dict[str, tuple[str, ...]] = {
    "media_exposure": ("曝光", "媒体", "微博", "抖音", "记者", "media", "news"),
    "regulator_escalation": ("银保监", "金融监管", "12378", "12363", "12345", "信访", "上访", "进京", "regulator", "cfpb"),
    "litigation": ("起诉", "律师", "法院", "诉讼", "lawsuit", "sue", "attorney"),
    "self_harm_or_violence": ("自杀", "跳楼", "不想活", "同归于尽", "轻生", "suicide", "kill myself"),
    "group_complaint": ("集体", "我们多人", "联名", "群体", "class action"),
    "vulnerable_customer": ("老人", "残疾", "重病", "elderly", "disabled"),
    "repeat_complaint": ("多次投诉", "再次投诉", "一直没有解决", "again", "repeatedly"),
    "proxy_agent": ("代理维权", "代理投诉", "维权机构"),
}

_NEGATIONS = ("不会", "不打算", "不想", "没有打算", "并不", "不", "won't", "will not", "not going to")
_ANGRY = ("愤怒", "气愤", "太过分", "骗子", "垃圾", "！！", "outraged", "furious", "scam")
_DISSATISFIED = ("不满", "失望", "要求", "投诉", "unhappy", "disappointed", "complain")
_DISTRESSED = ("绝望", "走投无路", "崩溃", "desperate", "hopeless")


@dataclass
class Classification:
    """The codes for one complaint, with confidences and the words that decided them."""

    business_line: str
    cause: str
    flags: list[str]
    emotion: str
    severity: str
    complexity: str
    confidence: dict[str, float]
    explanation: list[str] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        """Low confidence in the main codes sends the result to a human."""
        return min(self.confidence["business_line"], self.confidence["cause"]) < 0.5


def _hits(text: str, words: tuple[str, ...]) -> list[str]:
    lowered = text.lower()
    return [word for word in words if word.lower() in lowered]


def _best(text: str, table: dict[str, tuple[str, ...]], explanation: list[str], dimension: str) -> tuple[str, float]:
    scored = {code: _hits(text, words) for code, words in table.items()}
    code, hits = max(scored.items(), key=lambda item: len(item[1]))
    if not hits:
        explanation.append(f"{dimension}: no keyword matched")
        return "other", 0.3
    explanation.append(f"{dimension}={code}: {', '.join(hits)}")
    return code, min(0.95, 0.55 + 0.15 * len(hits))


def _negated(text: str, word: str) -> bool:
    lowered = text.lower()
    for match in re.finditer(re.escape(word.lower()), lowered):
        window = lowered[max(0, match.start() - 6) : match.start()]
        if not any(neg in window for neg in _NEGATIONS):
            return False
    return True


def _flags(text: str, explanation: list[str]) -> list[str]:
    found = []
    for flag, words in FLAGS.items():
        hits = [word for word in _hits(text, words) if not _negated(text, word)]
        if hits:
            found.append(flag)
            explanation.append(f"flag {flag}: {', '.join(hits)}")
    return found


def _emotion(text: str) -> str:
    for emotion, words in (("distressed", _DISTRESSED), ("angry", _ANGRY), ("dissatisfied", _DISSATISFIED)):
        if _hits(text, words):
            return emotion
    return "neutral"


def _severity(flags: list[str], emotion: str) -> str:
    escalated = {"media_exposure", "regulator_escalation"} & set(flags)
    if "self_harm_or_violence" in flags or ("group_complaint" in flags and escalated):
        return "critical"
    if escalated or "litigation" in flags or "group_complaint" in flags:
        return "high"
    return "medium" if emotion in ("angry", "distressed") or flags else "low"


def classify(text: str) -> Classification:
    """Classify one complaint text (Chinese or English)."""
    explanation: list[str] = []
    business_line, bl_conf = _best(text, BUSINESS_LINES, explanation, "business_line")
    cause, cause_conf = _best(text, CAUSES, explanation, "cause")
    flags = _flags(text, explanation)
    emotion = _emotion(text)
    severity = _severity(flags, emotion)
    complexity = "complex" if len(text) > 1500 or severity in ("high", "critical") else "simple"
    return Classification(
        business_line=business_line, cause=cause, flags=flags, emotion=emotion, severity=severity,
        complexity=complexity, confidence={"business_line": bl_conf, "cause": cause_conf},
        explanation=explanation,
    )
