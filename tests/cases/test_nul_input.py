"""Text PostgreSQL cannot store (U+0000) is a 422 naming the field, on every staff request model."""

from __future__ import annotations

import pytest

from tests.cases.helpers import case_in


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_nul_in_a_note_or_a_reason_is_422_and_nothing_is_written(env):
    case_id = await case_in(env, "assigned")
    note = await env.post(f"/v1/cases/{case_id}/notes", "officer", {"body": "客户来电\u0000"})
    move = await env.post(f"/v1/cases/{case_id}:transition", "officer", {"to": "investigating", "reason": "a\u0000"})
    assert [e["field"] for e in note.json()["errors"]] == ["body"] and note.status_code == 422
    assert [e["field"] for e in move.json()["errors"]] == ["reason"] and move.status_code == 422
    assert (await env.case(case_id))["status"] == "assigned"
