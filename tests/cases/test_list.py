"""GET /v1/cases: filters, Chinese text search, due-date sort and cursor pagination."""

from __future__ import annotations

from datetime import timedelta

from shared.events import SlaClockStarted


async def _due(env, case_id: str, days: int) -> None:
    due = env.clock.now() + timedelta(days=days)
    await env.deliver(SlaClockStarted(complaint_id=case_id, clock_id=f"clk-{case_id}", policy="cn-nfra-2020",
                                      clock_name="decision", started_at=env.clock.now(), due_at=due,
                                      due_date=due.date()))


async def test_filters_search_and_due_sort_with_cursor_pages(env):
    texts = ["信用卡年费被乱收", "理财产品亏损严重", "信用卡分期手续费不透明", "存款利息少算", "Card fee charged twice"]
    ids = []
    for index, text in enumerate(texts):
        case_id = await env.receive(content=text, channel="call_center" if index % 2 else "mobile_app")
        await env.classify(case_id, business_line="credit_card" if "卡" in text or "Card" in text else "wealth_management",
                           flags=("media_exposure",) if index == 1 else ())
        await _due(env, case_id, days=15 - index)
        ids.append(case_id)

    async def listed(**params) -> list[str]:
        response = await env.get("/v1/cases", "officer", **params)
        assert response.status_code == 200, response.text
        return [c["case_id"] for c in response.json()["items"]]

    assert await listed(q="信用卡") == [ids[2], ids[0]]  # due-date order: the sooner first
    assert await listed(q="card fee") == [ids[4]]
    assert await listed(q="100%") == []
    assert await listed(flag="media_exposure") == [ids[1]]
    assert await listed(business_line="wealth_management", channel="call_center") == [ids[3], ids[1]]
    assert await listed(due_within_hours=11 * 24 + 1) == [ids[4]]
    assert await listed(breached=True) == []
    assert await listed(status="assigned") == ids[::-1]
    assert await listed(status="received") == []
    assert await listed(assignee="officer") == [ids[1]]  # flagged: the designated head-office team
    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await env.get("/v1/cases", "officer", **params)).json()
        pages.append([c["case_id"] for c in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    newest_first = (await env.get("/v1/cases", "officer", sort="-received_at", limit=10)).json()["items"]
    assert len(newest_first) == 5
    bad = await env.get("/v1/cases", "officer", cursor="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
