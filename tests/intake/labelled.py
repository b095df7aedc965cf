"""The labelled duplicate set (tests/intake/data/duplicates.jsonl) and precision/recall over it."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from intake import duplicates

DATA = Path(__file__).parent / "data" / "duplicates.jsonl"


@dataclass(frozen=True)
class Pair:
    """Two complaints of one person, earlier first, and whether they are the same matter."""

    earlier: dict
    later: dict
    same: bool


def pairs(path: Path = DATA) -> list[Pair]:
    """Every pair of complaints of the same person: what the matcher is asked in production."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = []
    for _, group in itertools.groupby(sorted(records, key=lambda r: r["person"]), key=lambda r: r["person"]):
        for a, b in itertools.combinations(sorted(group, key=lambda r: r["day"]), 2):
            found.append(Pair(a, b, a["matter"] == b["matter"]))
    return found


def evaluate(policy: duplicates.Policy, found: list[Pair] | None = None) -> dict:
    """Precision, recall and counts of linking at the policy's threshold."""
    found = pairs() if found is None else found
    tp = fp = fn = 0
    for pair in found:
        score = duplicates.score(pair.later["text"], pair.later["product_hint"], pair.earlier["text"],
                                 pair.earlier["product_hint"])
        linked = score is not None and score >= policy.threshold
        tp += linked and pair.same
        fp += linked and not pair.same
        fn += (not linked) and pair.same
    return {"threshold": policy.threshold, "pairs": len(found), "positives": tp + fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn}


def split(found: list[Pair]) -> tuple[list[Pair], list[Pair]]:
    """Persons p01-p06 to choose the threshold on, p07-p12 to report on (no tuning on these)."""
    tune = [p for p in found if p.earlier["person"] <= "p06"]
    return tune, [p for p in found if p.earlier["person"] > "p06"]
