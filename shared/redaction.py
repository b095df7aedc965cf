"""Redaction of direct identifiers from free text before it is published on the bus (intake, cases)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Order matters: long digit runs (ID and card numbers) go before phone numbers.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[EMAIL]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[ID_NUMBER]"),
    (re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)"), "[CARD_NUMBER]"),
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"), "[PHONE]"),
)


def redact(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """Replace e-mail addresses, resident ID, card and mobile numbers, and known (value, label) pairs."""
    # Known values first (the complainant's own name, address, ID of any type), longest first,
    # so a name inside an address does not break the address match.
    for value, label in sorted(known, key=lambda pair: -len(pair[0])):
        if value and len(value.strip()) >= 2:
            text = text.replace(value.strip(), f"[{label}]")
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
