"""Reading history files for ``kesu import``: CSV or JSON lines into complaint dicts. No I/O but the file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

# CSV cells holding lists, split on "|" (e.g. "elderly|disabled").
_LIST_COLUMNS = {"complainant.vulnerability"}


def rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, complaint dict, parse error) for each record; .csv by extension, else JSON lines."""
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path)
    else:
        yield from _json_lines(path)


def _json_lines(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"not JSON: {exc.msg}"
                continue
            yield (number, record, None) if isinstance(record, dict) else (number, None, "not a JSON object")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            yield reader.line_num, nest(record), None


def nest(flat: dict[str, str | None]) -> dict:
    """Dotted CSV headers to nested objects; empty cells are left out (absent, not empty strings)."""
    result: dict = {}
    for column, cell in flat.items():
        if column is None or cell is None or cell.strip() == "":
            continue
        value: object = [v.strip() for v in cell.split("|")] if column in _LIST_COLUMNS else cell
        target = result
        *parents, leaf = column.strip().split(".")
        for name in parents:
            target = target.setdefault(name, {})
        target[leaf] = int(value) if leaf in ("group_size", "size") else value
    return result
