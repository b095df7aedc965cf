"""Regenerate the calendar data files from the ``holidays`` package (a maintainer's tool).

    .venv/bin/python -m sla_tracker.seed            # rewrites sla_tracker/data/calendars/*.json

Run it after upgrading ``holidays`` (pinned in pyproject), review the diff, commit it. The
service never imports ``holidays``: it reads the committed files, so a library upgrade can
never silently move a legal deadline.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

FIRST_YEAR = 2020
LAST_YEAR = 2030
DATA = Path(__file__).parent / "data" / "calendars"

# Which years each calendar treats as confirmed. CN: the State Council publishes year N+1 in
# late Oct-Nov of year N; later years are NOT seeded (holidays would extrapolate them without
# make-up workdays). The others follow statute or a standing ECB decision; the UK ones are
# confirmed only as far as gov.uk lists them, since one-off bank holidays do get added.
SPECS = {
    "CN": dict(country="CN", subdiv=None, timezone="Asia/Shanghai", confirmed_through=2026, seed_through=2026,
               name="China (mainland), State Council schedule with 调休 make-up workdays"),
    "GB-EAW": dict(country="GB", subdiv="ENG", timezone="Europe/London", confirmed_through=2027,
                   seed_through=LAST_YEAR, name="United Kingdom, England and Wales bank holidays"),
    "US": dict(country="US", subdiv=None, timezone="America/New_York", confirmed_through=LAST_YEAR,
               seed_through=LAST_YEAR, name="United States, federal holidays (5 U.S.C. 6103)"),
    "EU-TARGET": dict(financial="XECB", timezone="Europe/Berlin", confirmed_through=LAST_YEAR,
                      seed_through=LAST_YEAR, name="Euro area, TARGET2 closing days"),
}


def _holidays_for(spec: dict, year: int):
    import holidays

    if "financial" in spec:
        return holidays.financial_holidays(spec["financial"], years=year)
    return holidays.country_holidays(spec["country"], subdiv=spec["subdiv"], years=year)


def _cn_sources() -> dict[int, str]:
    import holidays.countries.china as china

    found = re.findall(r"\* \[(\d{4})\]\((\S+?)\)", china.China.__doc__ or "")
    return {int(year): url for year, url in found}


def _days(spec: dict, year: int) -> list[dict]:
    table = _holidays_for(spec, year)
    rows = [{"date": d.isoformat(), "kind": "holiday", "name": name} for d, name in sorted(table.items())]
    for day in sorted(getattr(table, "weekend_workdays", ())):
        if day.year == year:
            rows.append({"date": day.isoformat(), "kind": "makeup_workday", "name": "调休上班 (make-up workday)"})
    return sorted(rows, key=lambda row: row["date"])


def build(calendar_id: str, spec: dict) -> dict:
    """The JSON document of one calendar."""
    import holidays

    sources = _cn_sources() if calendar_id == "CN" else {}
    years = range(FIRST_YEAR, spec["seed_through"] + 1)
    return {
        "calendar": calendar_id,
        "name": spec["name"],
        "timezone": spec["timezone"],
        "weekend": [5, 6],
        "version": f"holidays-{holidays.__version__}",
        "seeded_on": date.today().isoformat(),
        "years": {
            str(y): {"status": "confirmed" if y <= spec["confirmed_through"] else "provisional",
                     "source_url": sources.get(y, "python-holidays " + holidays.__version__)}
            for y in years
        },
        "days": [row for y in years for row in _days(spec, y)],
    }


def _dump(document: dict) -> str:
    # One day per line keeps the yearly import's diff readable in review.
    head = {k: v for k, v in document.items() if k != "days"}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    days = ",\n  ".join(json.dumps(row, ensure_ascii=False) for row in document["days"])
    return f'{text},\n "days": [\n  {days}\n ]\n}}\n'


def main() -> None:
    """Write every calendar file."""
    DATA.mkdir(parents=True, exist_ok=True)
    for calendar_id, spec in SPECS.items():
        path = DATA / f"{calendar_id}.json"
        path.write_text(_dump(build(calendar_id, spec)), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
