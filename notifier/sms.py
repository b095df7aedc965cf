"""SMS: Chinese length limits (UCS-2 segments), quiet hours for customers, and a generic HTTP gateway."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError

from notifier.webhook import DeliveryResult, post_once

# GSM 03.38 basic set (7 bits a character); the extension set costs two.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€")
# (single message, per part when concatenated), in encoding units.
LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}
ELLIPSIS = {"gsm7": "...", "ucs2": "…"}


@dataclass(frozen=True)
class Segmented:
    """A text fitted to the part limit, and what fitting it did (recorded on the notification)."""

    text: str
    encoding: str
    parts: int
    truncated: bool
    original_length: int

    def as_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def encoding_of(text: str) -> str:
    """gsm7 when every character is in the GSM alphabet, else ucs2 (any Chinese text)."""
    return "gsm7" if set(text) <= GSM7 | GSM7_EXTENDED else "ucs2"


def _cost(char: str, encoding: str) -> int:
    if encoding == "gsm7":
        return 2 if char in GSM7_EXTENDED else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair


def length(text: str, encoding: str) -> int:
    """Length in encoding units (septets, or UTF-16 code units)."""
    return sum(_cost(char, encoding) for char in text)


def parts_needed(units: int, encoding: str) -> int:
    """How many messages a text of this many units takes."""
    single, per_part = LIMITS[encoding]
    return 1 if units <= single else -(-units // per_part)


def fit(text: str, max_parts: int) -> Segmented:
    """Cut a text to at most max_parts messages, ending with an ellipsis, never inside a character."""
    encoding = encoding_of(text)
    units = length(text, encoding)
    if parts_needed(units, encoding) <= max_parts:
        return Segmented(text, encoding, parts_needed(units, encoding), False, len(text))
    single, per_part = LIMITS[encoding]
    budget = (single if max_parts == 1 else per_part * max_parts) - length(ELLIPSIS[encoding], encoding)
    kept, used = [], 0
    for char in text:
        if used + _cost(char, encoding) > budget:
            break
        kept.append(char)
        used += _cost(char, encoding)
    cut = "".join(kept).rstrip() + ELLIPSIS[encoding]
    return Segmented(cut, encoding, parts_needed(length(cut, encoding), encoding), True, len(text))


def quiet_until(now: datetime, zone: str, start: time, end: time) -> datetime | None:
    """The UTC instant quiet hours end when ``now`` falls inside them (local time of ``zone``), else None."""
    local = now.astimezone(ZoneInfo(zone))
    moment = local.time()
    if start <= end:
        quiet, day = start <= moment < end, local.date()
    else:  # spans midnight, e.g. 21:00-08:00
        quiet = moment >= start or moment < end
        day = local.date() + timedelta(days=1) if moment >= start else local.date()
    if not quiet:
        return None
    return datetime.combine(day, end, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


class SmsGateway:
    """A generic HTTP SMS gateway: POST a body rendered from a template, optional auth header."""

    def __init__(self, url: str, *, body_template: str, content_type: str, auth_header: str | None,
                 timeout_s: float) -> None:
        try:
            self._template = Environment(undefined=StrictUndefined).from_string(body_template)
        except TemplateSyntaxError as exc:
            raise ValueError(f"KESU_SMS_GATEWAY_BODY_TEMPLATE is not a valid template: {exc}") from exc
        self.url = url
        self._headers = {"Content-Type": content_type}
        if auth_header:
            name, _, value = auth_header.partition(":")
            self._headers[name.strip()] = value.strip()
        self._timeout_s = timeout_s

    def body(self, *, to: str, text: str, ref: str) -> bytes:
        """The request body for one message (``ref`` lets the gateway dedupe retries)."""
        return self._template.render(to=to, text=text, ref=ref).encode()

    async def send(self, client: httpx.AsyncClient, *, to: str, text: str, ref: str) -> DeliveryResult:
        """POST one message; 2xx is success, anything else a failed attempt (Retry-After honoured)."""
        return await post_once(client, self.url, self.body(to=to, text=text, ref=ref), headers=self._headers,
                               timeout_s=self._timeout_s)
