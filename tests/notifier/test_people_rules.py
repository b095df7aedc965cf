"""Pure logic for people channels: rules validation and matching, SMS length and quiet hours, templates."""

import dataclasses
from datetime import date, datetime, time, timezone

import pytest
from jinja2 import UndefinedError

from notifier import people, rendering, rulebook, sms
from notifier.contacts import mask
from shared.events import CaseStatusChanged, ComplaintClassified
from tests.notifier.conftest import classified, received

LIMITS = rulebook.load().time_limits
HEADER = "version: 1\ntime_limits: {policy: p, decision_days: 15, complex_days: 30, max_days: 60, citation: {zh: 引}}\n"


def problems(rules_yaml: str) -> str:
    with pytest.raises(rulebook.RulebookError) as caught:
        rulebook.parse(HEADER + "rules:\n" + rules_yaml, "ops.yaml")
    return str(caught.value)


def test_the_packaged_rules_and_their_templates_are_valid():
    book = rulebook.load()
    rendering.check(book)
    assert {"customer-acknowledgement", "urgent-self-harm", "webhook-disabled"} <= {r.id for r in book.rules}


@pytest.mark.parametrize("rule, expected", [
    ("- {id: a, events: [Nope], to: [assignee], channels: [in_app], template: staff_event}", "unknown event(s) ['Nope']"),
    ("- {id: a, events: [SlaBreached], to: [assignee], channels: [fax], template: staff_event}", "rules.0.channels.0"),
    ("- {id: a, events: [SlaBreached], to: [complainant], channels: [in_app], template: customer_status}",
     "a complainant rule names only the complainant"),
    ("- {id: a, events: [SlaBreached], to: [assignee], channels: [in_app]}", "a template is required"),
    ("- {id: a, events: [SlaBreached], to: [assignee], channels: [in_app], template: customer_status}",
     "complainant rules use customer_* templates"),
    ("- {id: a, events: [SlaBreached], to: [assignee], channels: [in_app], template: staff_event, colour: red}",
     "rules.0.colour: Extra inputs are not permitted"),
    ("- {id: a, events: [SlaBreached], to: [assignee], channels: [in_app], template: staff_event}\n"
     "- {id: a, events: [SlaBreached], to: [team_lead], channels: [in_app], template: staff_event}", "unique: ['a']"),
])
def test_invalid_rules_are_rejected_naming_the_file_and_field(rule, expected):
    message = problems(rule)
    assert message.startswith("ops.yaml: ") and expected in message


def test_unreadable_rules_files_say_so(tmp_path):
    with pytest.raises(rulebook.RulebookError, match="cannot read"):
        rulebook.load(str(tmp_path / "missing.yaml"))
    with pytest.raises(rulebook.RulebookError, match="not valid YAML"):
        rulebook.parse("rules: [", "bad.yaml")


def test_a_template_missing_in_one_language_fails_the_check():
    book = rulebook.parse(HEADER + "rules:\n- {id: a, events: [SlaBreached], to: [assignee], channels: [in_app], "
                                   "template: staff_nothing}\n", "x.yaml")
    with pytest.raises(rulebook.RulebookError, match="staff_nothing"):
        rendering.check(book)


def test_conditions_select_the_urgent_and_high_severity_rules():
    book = rulebook.load()
    ids = lambda event: {r.id for r in book.matching(event)}  # noqa: E731
    assert {"urgent-self-harm", "classified-high"} <= ids(classified("c", severity="critical",
                                                                     flags=("self_harm_or_violence",)))
    assert "urgent-group-media" in ids(classified("c", flags=("group_complaint", "media_exposure")))
    assert "urgent-group-media" not in ids(classified("c", flags=("media_exposure",)))
    assert ids(classified("c", severity="low")) == {"subscribers"}
    closed = CaseStatusChanged(complaint_id="c", to_status="closed", changed_at=datetime.now(timezone.utc))
    investigating = closed.model_copy(update={"to_status": "investigating"})
    assert "customer-status" in ids(closed) and "customer-status" not in ids(investigating)


def test_a_chinese_sms_fits_70_characters_in_one_part_and_67_per_part_beyond():
    assert sms.fit("投" * 70, 3) == sms.Segmented("投" * 70, "ucs2", 1, False, 70)
    assert sms.fit("投" * 71, 3).parts == 2
    assert sms.fit("投" * 201, 3).parts == 3 and not sms.fit("投" * 201, 3).truncated


def test_too_long_a_text_is_cut_cleanly_to_the_part_limit_and_the_cut_recorded():
    fitted = sms.fit("投诉" * 150, 2)
    assert fitted.truncated and fitted.original_length == 300 and fitted.parts == 2
    assert fitted.text.endswith("…") and sms.length(fitted.text, "ucs2") == 134
    single = sms.fit("投" * 69 + "😀😀", 1)  # a surrogate pair is never split
    assert single.text == "投" * 69 + "…" and single.parts == 1


def test_plain_ascii_uses_the_gsm_alphabet_limits():
    assert sms.fit("a" * 160, 1) == sms.Segmented("a" * 160, "gsm7", 1, False, 160)
    assert sms.fit("a" * 170, 1).text == "a" * 157 + "..."


@pytest.mark.parametrize("local, expected", [
    ("2026-11-23T23:00", datetime(2026, 11, 24, 0, tzinfo=timezone.utc)),   # 08:00 next morning
    ("2026-11-24T07:59", datetime(2026, 11, 24, 0, tzinfo=timezone.utc)),   # 08:00 the same morning
    ("2026-11-23T21:00", datetime(2026, 11, 24, 0, tzinfo=timezone.utc)),
    ("2026-11-23T08:00", None), ("2026-11-23T20:59", None),
])
def test_quiet_hours_in_the_complainants_time_zone(local, expected):
    from zoneinfo import ZoneInfo
    now = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert sms.quiet_until(now, "Asia/Shanghai", time(21), time(8)) == expected


def test_addresses_are_masked_for_the_api():
    assert mask("13812345678") == "138****5678"
    assert mask("zhang.san@example.com") == "z***@example.com"


def test_the_customer_view_holds_no_internal_field():
    allowed = {"reference", "received_on", "decision_days", "complex_days", "max_days", "citation",
               "extension_days", "status"}
    assert {f.name for f in dataclasses.fields(rendering.CustomerView)} == allowed


INTERNAL = {"severity": "critical", "business_line": "cards", "assignee": "handler.li", "branch_code": "B001"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_customer_messages_state_reference_next_steps_and_statutory_limit_and_nothing_internal(language):
    book = rulebook.load()
    routing = people.Routing(rulebook=book)
    facts = {**INTERNAL, "reference": "KS-2026-000042", "language": language,
             "received_at": datetime(2026, 11, 23, 18, tzinfo=timezone.utc)}  # 24 Nov in Shanghai
    event = ComplaintClassified(complaint_id="c", business_line="cards", cause="fees", emotion="distressed",
                                severity="critical", complexity="complex", flags=["self_harm_or_violence"],
                                model_version="m", taxonomy_version="t")
    [rule] = [r for r in book.rules if r.id == "customer-acknowledgement"]
    for channel in ("email", "sms"):
        body = people.content(rule, channel, people.Target("complainant", language=language), event, facts, routing)
        shown = " ".join(str(v) for v in body.values())
        assert "KS-2026-000042" in shown and "15" in shown and "60" in shown
        leaked = [v for v in ("critical", "self_harm", "cards", "handler.li", "李", "B001", "distressed") if v in shown]
        assert not leaked, leaked
    email = people.content(rule, "email", people.Target("complainant", language=language), event, facts, routing)
    assert LIMITS.citation[language] in email["text"] and "2026-11-24" in email["text"]


def test_a_customer_template_cannot_reach_beyond_its_view():
    view = rendering.customer_view({"reference": "KS-1"}, LIMITS, "zh")
    template = rendering.environment().from_string("{{ c.reference }} {{ severity }}")
    with pytest.raises(UndefinedError):
        template.render(c=view)
    with pytest.raises(ValueError, match="not a customer template"):
        rendering.render_customer("staff_event", "zh", view)
    assert view.received_on is None and rendering.customer_view(
        {"received_at": datetime(2026, 1, 2, 20, tzinfo=timezone.utc)}, LIMITS, "zh").received_on == date(2026, 1, 3)


def test_html_is_escaped_and_text_is_not():
    context = dict(event_type="ComplaintReceived", complaint_id="c", reference="<KS>", branch=None, severity=None,
                   business_line=None, recipient_name="A&B", urgent=False, fields={})
    rendered = rendering.render_staff("staff_event", "en", context)
    assert "A&amp;B" in rendered.html and "&lt;KS&gt;" in rendered.html
    assert "A&B" in rendered.text and "<KS>" in rendered.subject
    assert received("c").language == "zh"
