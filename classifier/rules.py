"""Decision rules on top of the scored codes: flags, severity, complexity and review routing.

Pure logic. The severity and complexity policies are written here once and documented in
docs/classifier.md, so a handler can predict them from the flags.
"""

from __future__ import annotations

from collections.abc import Iterable

from classifier.lexicon import FlagHit

ESCALATION = frozenset({"media_exposure", "regulator_escalation"})
COMPLEX_FLAGS = frozenset({"group_complaint", "litigation", "proxy_agent", "repeat_complaint"})
LONG_TEXT = 300
# A learned flag model's probability that raises a flag the lexicon did not. On the nine Chinese
# sets 0.55 kept the self-harm recall of 0.5 and cut its false alarms from 17 to 12; 0.6 lost recall.
LEARNED_FLAG_AT = 0.55


def decide_flags(hits: Iterable[FlagHit], channel: str | None, channel_flags: dict[str, list[str]],
                 group_size: int, group_size_at_least: int,
                 learned: dict[str, tuple[float, list[str]]] | None = None) -> tuple[list[str], list[str]]:
    """Flags that stand (a threat counts, a negated one does not), with their reasons.

    learned maps a flag to its model probability and the n-grams behind it; the model raises a
    flag only where the lexicon found nothing for it at all (no term, no negated term, no excluded
    phrase), so it never overrules a negation or an exclusion.
    """
    reasons: dict[str, list[str]] = {}
    negated: dict[str, list[str]] = {}
    excluded: set[str] = set()
    for hit in hits:
        if hit.excluded:
            excluded.add(hit.flag)
            continue
        target = negated if hit.negated else reasons
        note = f"{hit.term}（条件式威胁）" if hit.conditional else hit.term
        target.setdefault(hit.flag, []).append(note)
    for flag, (probability, terms) in (learned or {}).items():
        if probability >= LEARNED_FLAG_AT and flag not in reasons and flag not in negated and flag not in excluded:
            reasons[flag] = [f"model {probability:.2f} (n-grams {'、'.join(terms) or '-'})"]
    for flag in channel_flags.get(channel or "", ()):
        reasons.setdefault(flag, []).append(f"channel={channel}")
    if group_size >= group_size_at_least:
        reasons.setdefault("group_complaint", []).append(f"group_size={group_size}")
    flags = sorted(reasons)
    explanation = [f"flag {f}: {', '.join(dict.fromkeys(reasons[f]))}" for f in flags]
    explanation += [f"not flagged {f}: negated ({', '.join(dict.fromkeys(negated[f]))})"
                    for f in sorted(negated) if f not in reasons]
    return flags, explanation


def severity(flags: Iterable[str], emotion: str, cause: str) -> str:
    """critical > high > medium > low, from flags first, then emotion and cause."""
    found = set(flags)
    if "self_harm_or_violence" in found or ("group_complaint" in found and found & ESCALATION):
        return "critical"
    if found & (ESCALATION | {"litigation", "group_complaint"}):
        return "high"
    if found or emotion in ("angry", "distressed") or cause == "funds_security":
        return "medium"
    return "low"


def complexity(flags: Iterable[str], severity_code: str, text_length: int) -> str:
    """complex (30-day rule) for escalated, group, legal, proxy or repeat cases and long texts."""
    if severity_code in ("high", "critical") or set(flags) & COMPLEX_FLAGS or text_length > LONG_TEXT:
        return "complex"
    return "simple"


def needs_review(confidence: dict[str, float], threshold: float) -> bool:
    """A human checks results whose main codes are uncertain."""
    return min(confidence.get("business_line", 0.0), confidence.get("cause", 0.0)) < threshold
