"""Precision and recall of duplicate linking on the labelled set, over a range of thresholds.

    .venv/bin/python -m bench.intake_duplicates
"""

from __future__ import annotations

import json

from intake.duplicates import Policy
from tests.intake.labelled import evaluate, pairs, split


def main() -> None:
    """Print one JSON line per threshold: all pairs, the tuning half and the held-out half."""
    found = pairs()
    tune, held_out = split(found)
    for threshold in (0.10, 0.15, 0.17, 0.19, 0.20, 0.22, 0.25, 0.30, 0.40):
        policy = Policy(threshold=threshold)
        print(json.dumps({"all": evaluate(policy, found), "tune": evaluate(policy, tune),
                          "held_out": evaluate(policy, held_out)}))


if __name__ == "__main__":
    main()
