"""Checks on identifiers a channel submits: pure functions, no I/O, today injected."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# GB 11643-1999: weights of the first 17 digits and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level prefixes (71 Taiwan, 81 Hong Kong, 82 Macao, 83 for residence permits).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82 83".split()
)
# GB 32100-2015: 31 characters (no I, O, Z, S, V), weights 3^i mod 31.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_OTHER_ID_FORMATS = {
    "passport": re.compile(r"[A-Z0-9]{5,17}"),
    "hk_macao_permit": re.compile(r"[HM]\d{8}(\d{2})?"),
    "taiwan_permit": re.compile(r"\d{8}(\d{2})?"),
    "foreign_permanent_resident": re.compile(r"[A-Z]{3}\d{12}|9\d{17}"),
}


class InvalidIdentifier(ValueError):
    """An identifier that fails its format, checksum or date rule; the message says which."""


def normalise(value: str) -> str:
    """Full-width to half-width, no spaces or dashes, upper case: the form identifiers are compared in."""
    value = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s\-]", "", value).upper()


def resident_id(value: str, *, today: date) -> str:
    """A valid 18-character mainland resident ID (GB 11643), normalised, or InvalidIdentifier."""
    number = normalise(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidIdentifier("a resident ID has 17 digits and a check digit or X (18 characters)")
    if number[:2] not in PROVINCES:
        raise InvalidIdentifier(f"{number[:2]} is not a GB/T 2260 province code")
    _birth_date(number[6:14], today)
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != number[17]:
        raise InvalidIdentifier("the check digit does not match (GB 11643); check for a mistyped digit")
    return number


def _birth_date(digits: str, today: date) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidIdentifier(f"{digits} is not a valid birth date") from None
    if born.year < 1900 or born > today:
        raise InvalidIdentifier(f"birth date {born.isoformat()} is out of range")
    return born


def uscc(value: str) -> str:
    """A valid unified social credit code (GB 32100), normalised, or InvalidIdentifier."""
    code = normalise(value)
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        raise InvalidIdentifier("a unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z")
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    if _USCC_CHARS[(31 - total % 31) % 31] != code[17]:
        raise InvalidIdentifier("the check character does not match (GB 32100); check for a mistyped character")
    return code


def uscc_check_character(first17: str) -> str:
    """The check character that completes 17 USCC characters (for building test codes)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def id_number(id_type: str, value: str, *, today: date) -> str:
    """An ID number checked by the rules of its type, normalised."""
    if id_type == "resident_id":
        return resident_id(value, today=today)
    if id_type == "unified_social_credit_code":
        return uscc(value)
    number = normalise(value)
    pattern = _OTHER_ID_FORMATS.get(id_type)
    if pattern and not pattern.fullmatch(number):
        raise InvalidIdentifier(f"{number[:3]}... does not have the format of a {id_type.replace('_', ' ')}")
    if not 1 <= len(number) <= 64:
        raise InvalidIdentifier("an ID number has 1 to 64 characters")
    return number


def phone(value: str) -> str:
    """A phone number normalised: mainland mobiles as 11 digits, others as +E.164 or a landline."""
    raw = normalise(value).replace("(", "").replace(")", "")
    local = re.sub(r"^(?:\+86|0086)", "", raw)
    if local.startswith("1") or raw != local:
        if _MOBILE.fullmatch(local):
            return local
        raise InvalidIdentifier("a mainland mobile number has 11 digits starting 13-19 (optionally +86)")
    if _INTERNATIONAL.fullmatch(raw) or _LANDLINE.fullmatch(raw):
        return raw
    raise InvalidIdentifier("use a mainland mobile (13812345678), a landline (010-12345678) or +<country><number>")


def email(value: str) -> str:
    """An e-mail address of plausible syntax, with its domain lower-cased."""
    address = unicodedata.normalize("NFKC", value).strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise InvalidIdentifier("not an e-mail address of the form name@example.com")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def region_code(value: str) -> str:
    """A six-digit GB/T 2260 administrative division code with a known province prefix."""
    if not re.fullmatch(r"\d{6}", value) or value[:2] not in PROVINCES:
        raise InvalidIdentifier("a GB/T 2260 region code has six digits starting with a province code, e.g. 310115")
    return value
