"""Decision letters: drafts rendered from per-business-line templates, and the check that the
final text still holds what CBIRC Order 2020 No. 3 Art. 19 requires (pure, no I/O beyond templates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RequiredPart:
    """A part the letter must keep: its section marker and the phrases that must appear after it."""

    name: str
    marker: str
    phrases: tuple[str, ...] = ()


# Art. 19: what was verified; the basis and reasons; the remedies (核查, 调解, 仲裁, 诉讼).
REQUIRED_PARTS: dict[str, tuple[RequiredPart, ...]] = {
    "zh": (
        RequiredPart("verified", "【核实情况】"),
        RequiredPart("basis_and_reasons", "【处理依据和理由】"),
        RequiredPart("remedies", "【救济途径】", ("核查", "调解", "仲裁", "诉讼")),
    ),
    "en": (
        RequiredPart("verified", "[What we verified]"),
        RequiredPart("basis_and_reasons", "[Basis and reasons]"),
        RequiredPart("remedies", "[Your options]", ("review", "mediation", "arbitration", "litigation")),
    ),
}

OUTCOMES = {
    "zh": {"upheld": "经核实，您的投诉成立，我行予以支持。",
           "partially_upheld": "经核实，您的投诉部分成立，我行对成立部分予以支持。",
           "rejected": "经核实，您的投诉不成立，我行不予支持。"},
    "en": {"upheld": "We uphold your complaint.",
           "partially_upheld": "We uphold your complaint in part.",
           "rejected": "We do not uphold your complaint."},
}


def missing_parts(text: str, language: str) -> list[str]:
    """Names of the required parts (or ``part: phrase``) the text no longer contains."""
    missing: list[str] = []
    for part in REQUIRED_PARTS[_language(language)]:
        start = text.find(part.marker)
        if start < 0:
            missing.append(part.name)
            continue
        section = text[start + len(part.marker):]
        missing += [f"{part.name}: {phrase}" for phrase in part.phrases if phrase.lower() not in section.lower()]
    return missing


def _language(language: str | None) -> str:
    return language if language in REQUIRED_PARTS else "zh"


def _environment() -> Environment:
    # Plain text letters: no HTML escaping; a missing placeholder is an error, not an empty string.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                       keep_trailing_newline=True)


def template_name(language: str | None, business_line: str | None) -> str:
    """The business line's template in the case's language, else the language's default."""
    lang = _language(language)
    candidate = f"letters/{lang}/{business_line}.j2"
    return candidate if business_line and (TEMPLATES / candidate).is_file() else f"letters/{lang}/default.j2"


def render_draft(case: dict, *, now: datetime, timezone: str, bank_name: str, outcome: str | None = None,
                 redress_type: str | None = None, redress_amount: tuple[Decimal, str] | None = None,
                 verified: str | None = None, basis: str | None = None) -> str:
    """The draft letter for a case, placeholders filled from the case and the proposed decision."""
    lang = _language(case.get("language"))
    zone = ZoneInfo(timezone)
    received = case.get("received_at")
    try:
        template = _environment().get_template(template_name(lang, case.get("business_line")))
    except TemplateNotFound as exc:  # pragma: no cover - default templates ship with the package
        raise RuntimeError(f"letter template missing: {exc}") from exc
    return template.render(
        case=case, verified=verified, basis=basis, bank_name=bank_name,
        received_date=received.astimezone(zone).date().isoformat() if received else "",
        issued_date=now.astimezone(zone).date().isoformat(),
        business_line_label=case.get("business_line") or "",
        outcome_text=OUTCOMES[lang].get(outcome or "", "（请选择处理结果）" if lang == "zh" else "(choose the outcome)"),
        redress_text=_redress_text(lang, redress_type, redress_amount),
    )


def _redress_text(lang: str, redress_type: str | None, amount: tuple[Decimal, str] | None) -> str:
    if not redress_type:
        return ""
    money = f" {amount[1]} {amount[0]:.2f}" if amount else ""
    return f"补救措施：{redress_type}{money}。" if lang == "zh" else f"Redress: {redress_type}{money}."
