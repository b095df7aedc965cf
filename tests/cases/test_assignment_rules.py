"""Assignment rules as data (pure): team by branch and business line, designated team, member choice."""

from __future__ import annotations

from services.cases.assignment import load_rules, pick_member
from services.cases.settings import CasesSettings

RULES = load_rules(CasesSettings().assignment_file)


def test_branch_and_business_line_pick_the_team_first_match_wins():
    assert RULES.team_for(branch="BJ01", business_line="credit_card", severity="low", flags=[]).team == "bj-cards"
    assert RULES.team_for(branch="BJ01", business_line="deposit", severity="low", flags=[]).team == "bj-general"
    assert RULES.team_for(branch="GZ01", business_line="deposit", severity="medium", flags=[]).team == "ho-general"


def test_high_severity_and_flagged_cases_go_to_the_designated_team():
    assert RULES.team_for(branch="BJ01", business_line="credit_card", severity="critical", flags=[]).team == "ho-priority"
    flagged = RULES.team_for(branch="SH01", business_line="deposit", severity="low", flags=["media_exposure"])
    assert flagged.team == "ho-priority" and "media_exposure" in flagged.reason


def test_least_loaded_takes_the_member_with_fewest_open_cases_ties_by_name():
    members = ["wang", "li", "zhao"]
    assert pick_member(members, strategy="least_loaded", loads={"li": 3, "wang": 1}, last=None) == "zhao"
    assert pick_member(members, strategy="least_loaded", loads={"li": 1, "wang": 1, "zhao": 1}, last=None) == "li"


def test_round_robin_cycles_through_the_members_in_order():
    members, last, order = ["wang", "li", "zhao"], None, []
    for _ in range(4):
        last = pick_member(members, strategy="round_robin", loads={}, last=last)
        order.append(last)
    assert order == ["li", "wang", "zhao", "li"]
    assert pick_member([], strategy="round_robin", loads={}, last=None) is None
