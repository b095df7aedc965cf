"""Jinja2 rendering of notifier/templates (zh, en); customer templates see only a restricted view."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from notifier.rulebook import Rulebook, RulebookError, TimeLimits

LANGUAGES = ("zh", "en")
PARTS = ("subject", "text", "sms")


@dataclass(frozen=True)
class CustomerView:
    """Everything a customer-facing template may show: no severity, flags, notes, scores or staff names.

    Customer templates are rendered with this object alone (as ``c``), so internal data cannot reach
    them even by a template mistake: an unknown name fails under StrictUndefined.
    """

    reference: str
    received_on: date | None
    decision_days: int
    complex_days: int
    max_days: int
    citation: str
    extension_days: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class Rendered:
    """A message in every form a channel may need."""

    subject: str
    text: str
    html: str
    sms: str

    def as_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment: HTML autoescaped, undefined names fatal."""
    return Environment(
        loader=PackageLoader("notifier", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def customer_view(facts: dict, limits: TimeLimits, language: str, zone: str = "Asia/Shanghai",
                  **event_fields) -> CustomerView:
    """Pick the permitted fields out of what the notifier knows; anything else is left behind."""
    received = facts.get("received_at")
    return CustomerView(
        reference=facts.get("reference") or "",
        received_on=received.astimezone(ZoneInfo(zone)).date() if received else None,
        decision_days=limits.decision_days, complex_days=limits.complex_days, max_days=limits.max_days,
        citation=limits.citation.get(language) or limits.citation.get("zh", ""),
        extension_days=event_fields.get("extension_days"), status=event_fields.get("status"),
    )


def render_customer(template: str, language: str, view: CustomerView) -> Rendered:
    """Render a customer template with the restricted view as its only variable."""
    if not template.startswith("customer_"):
        raise ValueError(f"{template!r} is not a customer template")
    return _render(template, language, {"c": view})


def render_staff(template: str, language: str, context: dict) -> Rendered:
    """Render a staff template; staff may see internal data (severity, flags, the event)."""
    if template.startswith("customer_"):
        raise ValueError(f"{template!r} is a customer template")
    return _render(template, language, {"s": context})


def _render(template: str, language: str, variables: dict) -> Rendered:
    lang = language if language in LANGUAGES else "zh"
    env = environment()
    text_template = env.get_template(f"{lang}/{template}.txt.j2")
    context = text_template.new_context(variables)
    # Running the whole template once executes its top-level {% set %}s, which the blocks then see.
    "".join(text_template.root_render_func(context))
    parts = {name: "".join(text_template.blocks[name](context)).strip() for name in PARTS}
    # The HTML shows the same headline as the subject, computed once in the text template.
    html = env.get_template(f"{lang}/{template}.html.j2").render(variables, headline=parts["subject"])
    return Rendered(html=html, **parts)


def check(rulebook: Rulebook) -> None:
    """Fail at start-up when a rule names a template missing in some language."""
    env = environment()
    for template in sorted(rulebook.templates()):
        for lang in LANGUAGES:
            for suffix in ("txt.j2", "html.j2"):
                try:
                    env.get_template(f"{lang}/{template}.{suffix}")
                except TemplateNotFound as exc:
                    raise RulebookError(f"template {template!r} has no {lang}/{template}.{suffix}") from exc
