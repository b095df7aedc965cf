"""Extensions (approval rules), decision letters, surveys, reclassification, notes and the look-back."""

from __future__ import annotations


from services.cases.main import lookback_pass
from shared.events import CaseDecisionIssued, ComplaintReclassified, ExtensionGranted, SurveyCompleted
from sla_tracker.deadlines import decide_extension
from sla_tracker.policies import load_book
from sla_tracker.settings import SlaSettings
from tests.cases.helpers import case_in, decide


def _decision_clock():
    settings = SlaSettings()
    return load_book(settings.policy_file, settings.selection_file).get("cn-nfra-2020").clock("decision")


async def test_complex_extension_by_the_handler_then_further_only_with_a_senior_approval(env):
    case_id = await case_in(env, "investigating")  # assigned to han.bj
    complex_ = await env.post(f"/v1/cases/{case_id}:extend", "han.bj", {"kind": "complex", "reason": "多笔交易需调单"})
    assert complex_.status_code == 200, complex_.text
    further = await env.post(f"/v1/cases/{case_id}:extend", "han.bj", {"kind": "further", "reason": "等待卡组织回复"})
    pending = further.json()["extensions"][-1]
    assert (pending["kind"], pending["status"], pending["approved_by"]) == ("further", "pending", None)
    assert len(await env.published(ExtensionGranted)) == 1
    self_approval = await env.post(f"/v1/cases/{case_id}/extensions/{pending['id']}:approve", "han.bj")
    assert self_approval.status_code == 403
    approved = await env.post(f"/v1/cases/{case_id}/extensions/{pending['id']}:approve", "head.bj")
    assert approved.json()["extensions"][-1]["status"] == "granted"
    granted = await env.published(ExtensionGranted)
    assert [(e.kind, e.extra_days, e.requested_by, e.approved_by) for e in granted] == [
        ("complex", 15, "han.bj", None), ("further", 30, "han.bj", "head.bj")]
    # The SLA tracker's own rule applies both: 15 -> 30 without approval, 30 -> 60 with it.
    clock, allowed = _decision_clock(), 15
    for event in granted:
        decision = decide_extension(clock, allowed, event.extra_days, event.approved_by)
        assert decision.applied, decision.note
        allowed = decision.allowed
    assert allowed == 60
    assert [a for a in await env.audit(case_id) if a[1] == "case.extend"] == [
        ("han.bj", "case.extend"), ("han.bj", "case.extend"), ("head.bj", "case.extend")]


async def test_extension_rules_refuse_out_of_order_or_repeated_requests(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "investigating")
    early = await env.post(f"/v1/cases/{case_id}:extend", "head.bj", {"kind": "further", "reason": "x"})
    assert early.status_code == 409 and "complex" in early.json()["detail"]
    assert (await env.post(f"/v1/cases/{case_id}:extend", "head.bj", {"kind": "complex", "reason": "x"})).status_code == 200
    assert (await env.post(f"/v1/cases/{case_id}:extend", "head.bj", {"kind": "complex", "reason": "x"})).status_code == 409
    direct = await env.post(f"/v1/cases/{case_id}:extend", "head.bj", {"kind": "further", "reason": "鉴定"})
    assert direct.json()["extensions"][-1]["approved_by"] == "head.bj"


async def test_the_draft_letter_holds_what_article_19_requires_and_the_decision_is_issued(env):
    case_id = await case_in(env, "investigating")
    await env.classify(case_id, business_line="credit_card")
    draft = (await env.post(f"/v1/cases/{case_id}/letter:draft", "han.bj",
                            {"outcome": "upheld", "redress": {"type": "refund", "amount": "680.00",
                                                              "currency": "CNY"}})).json()
    assert draft["template"] == "letters/zh/credit_card.j2"
    for phrase in ("【核实情况】", "【处理依据和理由】", "【救济途径】", "核查", "调解", "仲裁", "诉讼", "信用卡", "CNY 680.00"):
        assert phrase in draft["letter"]
    response = await decide(env, case_id, "han.bj")
    assert response.status_code == 200, response.text
    assert response.json()["case"]["status"] == "decision_issued"
    [event] = await env.published(CaseDecisionIssued)
    assert (event.outcome, str(event.redress_amount.value), event.redress_amount.currency, event.review) == (
        "partially_upheld", "680.00", "CNY", False)
    assert ("han.bj", "case.decide") in await env.audit(case_id)


async def test_a_final_letter_without_a_required_part_is_refused_naming_it(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "investigating")
    letter = (await env.post(f"/v1/cases/{case_id}/letter:draft", "officer", {})).json()["letter"]
    for edited, missing in ((letter.replace("仲裁", "协商"), "remedies: 仲裁"),
                            (letter.replace("【核实情况】", ""), "verified"),
                            (letter.replace("【处理依据和理由】", "【说明】"), "basis_and_reasons")):
        response = await decide(env, case_id, letter=edited)
        assert response.status_code == 422, response.text
        assert missing in response.json()["missing"]
    assert (await env.case(case_id))["status"] == "investigating"


async def test_survey_link_is_single_use_and_expires(sqlite_env):
    env = sqlite_env
    first = await case_in(env, "investigating")
    token = (await decide(env, first)).json()["survey_token"]
    assert (await env.client.post("/v1/surveys/unknown-token", json={"score": 5})).status_code == 404
    answered = await env.client.post(f"/v1/surveys/{token}", json={"score": 4, "comment": "请回电 13812345678"})
    assert answered.status_code == 204
    again = await env.client.post(f"/v1/surveys/{token}", json={"score": 1})
    assert again.status_code == 410 and again.json()["state"] == "used"
    [event] = await env.published(SurveyCompleted)
    assert (event.score, event.channel) == (4, "link") and "13812345678" not in event.comment
    second = await case_in(env, "investigating")
    late_token = (await decide(env, second)).json()["survey_token"]
    env.advance(days=14, seconds=1)
    expired = await env.client.post(f"/v1/surveys/{late_token}", json={"score": 3})
    assert expired.status_code == 410 and expired.json()["state"] == "expired"
    by_phone = await env.post(f"/v1/cases/{second}/survey", "officer", {"score": 2})
    assert by_phone.status_code == 201
    assert [e.channel for e in await env.published(SurveyCompleted)] == ["link", "callback"]


async def test_reclassification_notes_and_attachments_are_recorded_and_audited(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "investigating")
    await env.classify(case_id, business_line="deposit")
    body = {"business_line": "credit_card", "cause": "pricing_fees", "flags": ["repeat_complaint"],
            "complexity": "complex", "reason": "年费争议"}
    assert (await env.post(f"/v1/cases/{case_id}:reclassify", "han.bj", body)).status_code == 200
    [event] = await env.published(ComplaintReclassified)
    assert (event.business_line, event.previous["business_line"], event.actor) == ("credit_card", "deposit", "han.bj")
    await env.post(f"/v1/cases/{case_id}/notes", "han.bj", {"body": "已致电客户", "visibility": "customer_facing"})
    attachment = {"filename": "statement.pdf", "media_type": "application/pdf", "size": 1024,
                  "sha256": "a" * 64, "storage_uri": "s3://kesu-docs/statement.pdf"}
    case = (await env.post(f"/v1/cases/{case_id}/attachments", "han.bj", attachment)).json()
    assert case["flags"] == ["repeat_complaint"] and case["notes"][0]["visibility"] == "customer_facing"
    assert case["attachments"][0]["sha256"] == "a" * 64
    bad = await env.post(f"/v1/cases/{case_id}/attachments", "han.bj", {**attachment, "sha256": "xyz"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sha256"
    actions = [action for _, action in await env.audit(case_id)]
    assert {"case.reclassify", "case.note"} <= set(actions)


async def test_a_reclassification_without_flags_keeps_the_case_flags(sqlite_env):
    env = sqlite_env
    case_id = await case_in(env, "investigating")
    await env.classify(case_id, business_line="deposit", flags=("self_harm_or_violence",), severity="critical")
    body = {"business_line": "credit_card", "cause": "pricing_fees", "complexity": "complex"}
    case = (await env.post(f"/v1/cases/{case_id}:reclassify", "han.bj", body)).json()
    assert case["business_line"] == "credit_card" and case["flags"] == ["self_harm_or_violence"]
    [event] = await env.published(ComplaintReclassified)
    assert event.flags == ["self_harm_or_violence"]
    cleared = await env.post(f"/v1/cases/{case_id}:reclassify", "han.bj", {**body, "flags": []})
    assert cleared.json()["flags"] == []


async def test_six_months_after_closure_the_look_back_records_whether_the_complainant_returned(sqlite_env):
    env = sqlite_env
    came_back = await env.receive(complainant_ref="cr-back")
    stayed_away = await env.receive(complainant_ref="cr-away")
    for case_id in (came_back, stayed_away):
        for step in ("assigned", "investigating"):
            await env.post(f"/v1/cases/{case_id}:" + ("assign" if step == "assigned" else "transition"), "officer",
                           {"assignee": "han.bj"} if step == "assigned" else {"to": step})
        await decide(env, case_id)
        await env.post(f"/v1/cases/{case_id}:transition", "officer", {"to": "closed"})
    env.advance(days=40)
    await env.receive(complainant_ref="cr-back")
    service = env.context.service
    assert await lookback_pass(service, env.settings) == 0
    env.advance(days=150)
    assert await lookback_pass(service, env.settings) == 2
    assert await lookback_pass(service, env.settings) == 0  # recorded once
    assert (await env.case(came_back))["lookback_returned"] is True
    assert (await env.case(stayed_away))["lookback_returned"] is False
    assert (await env.case(came_back))["timeline"][-1]["kind"] == "kesu.case.lookback_checked"
