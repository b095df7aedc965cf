"""The case list query over N cases on PostgreSQL: typical filter combinations, text search,
due-date sort and org scope, p50/p95 over R runs each.

    .venv/bin/python -m bench.cases_list --cases 1000000 --runs 30

Rows are generated in SQL (INSERT ... SELECT generate_series): 70% open over 13 statuses, 200
sub-branches under 20 branches, 13 business lines, 4 severities, 8 channels, 60 handlers, due
dates over ±30 days, and Chinese complaint texts from a small phrase pool with a per-row number.
The query is the service's own (services.cases.queries.list_cases), first page of 50.

Uses a fresh database on KESU_TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/postgres),
dropped afterwards. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime, timezone

from sqlalchemy import text

from services.cases import queries
from services.cases.security import Principal, Role
from shared import migrations
from shared.db import create_engine, session_factory
from tests.support import fresh_database

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
STATUSES = ["received", "assigned", "investigating", "awaiting_customer", "external_appraisal", "mediation",
            "escalated", "decision_issued", "closed", "review_requested", "under_review", "reopened", "withdrawn"]
LINES = ["deposit", "debit_card", "credit_card", "personal_loan", "corporate_loan", "wealth_management",
         "payment_settlement", "e_banking", "cash_services", "credit_reporting", "personal_information",
         "debt_collection", "other"]
PHRASES = ["信用卡年费被乱收要求退还", "理财产品收益与宣传不符", "贷款提前还款违约金过高", "手机银行转账失败未到账",
           "催收电话骚扰家人", "存款利息计算错误", "征信记录有误要求更正", "网点排队时间过长服务态度差"]

FILL = """
INSERT INTO cases_cases (complaint_id, reference, channel, branch_code, org_path, language, content, group_size,
  received_at, complainant_ref, business_line, cause, flags, severity, complexity, status, status_changed_at,
  assignee, team, due_at, due_sort, breached, warning_level, mediation_offered, reviewed, created_at, updated_at)
SELECT md5(g::text)::uuid::text, 'KS-' || g, 'ch' || (g % 8), 'B' || (sb / 10) || '-' || sb,
  '/HO/B' || (sb / 10) || '/B' || (sb / 10) || '-' || sb || '/', 'zh',
  (ARRAY[{phrases}])[1 + g % {n_phrases}] || '，编号' || g, 1,
  CAST(:now AS timestamptz) - (g % 365) * interval '1 day', 'cr-' || (g % 400000),
  (ARRAY[{lines}])[1 + g % {n_lines}], 'pricing_fees',
  CASE WHEN g % 25 = 0 THEN ',media_exposure,' WHEN g % 40 = 0 THEN ',vulnerable_customer,' ELSE ',' END,
  (ARRAY['low','medium','high','critical'])[1 + g % 4], 'simple',
  CASE WHEN g % 10 < 7 THEN (ARRAY[{open_statuses}])[1 + g % 10] ELSE (ARRAY['decision_issued','closed','withdrawn'])[1 + g % 3] END,
  CAST(:now AS timestamptz), 'handler' || (g % 60), 'team' || (g % 20),
  d, COALESCE(d, '9999-12-31'::timestamptz), g % 17 = 0, 0, false, false,
  CAST(:now AS timestamptz), CAST(:now AS timestamptz)
FROM generate_series(1, :n) AS g,
  LATERAL (SELECT ((g::bigint * 7919) % 200)::int AS sb) b,
  LATERAL (SELECT CASE WHEN g % 10 < 7 THEN CAST(:now AS timestamptz) + ((g % 61) - 30) * interval '1 day'
                        + (g % 86400) * interval '1 second' END AS d) t
"""

HEAD_OFFICE = Principal("u0", "officer", Role.COMPLAINT_OFFICER, "HO", "/HO/", None)
BRANCH = Principal("u1", "lead", Role.TEAM_LEAD, "B7", "/HO/B7/", "team7")
SUB_BRANCH = Principal("u2", "handler", Role.HANDLER, "B7-77", "/HO/B7/B7-77/", "team7")
OPEN = tuple(STATUSES[:7])

COMBOS = {
    "head office, open, due-date sort": (HEAD_OFFICE, queries.CaseFilter(status=OPEN)),
    "branch scope, open, due within 72 h": (BRANCH, queries.CaseFilter(status=OPEN, due_within_hours=72)),
    "sub-branch scope, assignee": (SUB_BRANCH, queries.CaseFilter(assignee="handler17")),
    "head office, business line + severity": (HEAD_OFFICE, queries.CaseFilter(business_line="credit_card",
                                                                               severity="high")),
    "head office, breached": (HEAD_OFFICE, queries.CaseFilter(breached=True, status=OPEN)),
    "head office, flag": (HEAD_OFFICE, queries.CaseFilter(flag="vulnerable_customer")),
    "head office, text search 催收": (HEAD_OFFICE, queries.CaseFilter(q="催收电话")),
    "branch scope, text search + open": (BRANCH, queries.CaseFilter(q="理财产品收益", status=OPEN)),
    "head office, text search rare (编号123457)": (HEAD_OFFICE, queries.CaseFilter(q="编号123457")),
}


def _fill_sql() -> str:
    quote = lambda items: ",".join(f"'{item}'" for item in items)  # noqa: E731 - constants only
    return FILL.format(phrases=quote(PHRASES), n_phrases=len(PHRASES), lines=quote(LINES), n_lines=len(LINES),
                       open_statuses=quote([*STATUSES[:7], "review_requested", "under_review", "reopened"]))


async def fill(engine, n: int) -> float:
    """Bulk-load n cases; returns seconds (including ANALYZE)."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text(_fill_sql()), {"n": n, "now": NOW})
    async with engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        await conn.execute(text("ANALYZE cases_cases"))
    return time.perf_counter() - started


async def measure(engine, runs: int, sort: str) -> dict:
    """p50/p95/max in ms of the first page of each combination."""
    sessions = session_factory(engine)
    results = {}
    for name, (principal, flt) in COMBOS.items():
        timings = []
        for _ in range(runs):
            async with sessions() as session:
                started = time.perf_counter()
                rows, _ = await queries.list_cases(session, principal, flt, sort=sort, limit=50, cursor=None,
                                                   now=NOW)
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[name] = {"rows": len(rows), "p50_ms": round(statistics.median(timings), 1),
                         "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
                         "max_ms": round(timings[-1], 1)}
    return results


async def run(url: str, n: int, runs: int) -> dict:
    """Migrate, fill, then measure."""
    engine = create_engine(url)
    try:
        await migrations.upgrade(engine, "cases")
        fill_s = await fill(engine, n)
        return {"cases": n, "runs": runs, "fill_s": round(fill_s, 1),
                "due_sort": await measure(engine, runs, "due_at")}
    finally:
        await engine.dispose()


def main(n: int, runs: int) -> dict:
    """On a fresh database, dropped afterwards (its helpers run their own event loop)."""
    with fresh_database() as url:
        return asyncio.run(run(url, n, runs))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(main(args.cases, args.runs), ensure_ascii=False, indent=2))
