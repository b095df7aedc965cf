"""Evaluation: accuracy, macro-F1 and confusion per dimension, precision/recall/F1 per flag."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

SINGLE_DIMENSIONS = ("business_line", "cause", "emotion", "severity", "complexity")


def f1(precision: float, recall: float) -> float:
    """Harmonic mean; 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def single_label(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over the codes present in gold or prediction, per-code figures, confusion."""
    codes = sorted(set(gold) | set(predicted))
    pairs = Counter(zip(gold, predicted))
    per_code = {}
    for code in codes:
        tp = pairs[(code, code)]
        predicted_n = sum(n for (g, p), n in pairs.items() if p == code)
        gold_n = sum(n for (g, p), n in pairs.items() if g == code)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        per_code[code] = {"precision": precision, "recall": recall, "f1": f1(precision, recall), "support": gold_n}
    accuracy = sum(pairs[(c, c)] for c in codes) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per_code.values()) / len(codes) if codes else 0.0
    confusion = {g: {p: pairs[(g, p)] for p in codes if pairs[(g, p)]} for g in codes}
    return {"n": len(gold), "accuracy": accuracy, "macro_f1": macro, "per_code": per_code, "confusion": confusion}


def flags(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], names: Sequence[str]) -> dict:
    """Per flag: precision, recall, F1 and support, treating each flag as its own yes/no question."""
    result = {}
    for name in names:
        tp = sum(1 for g, p in zip(gold, predicted) if name in g and name in p)
        fp = sum(1 for g, p in zip(gold, predicted) if name not in g and name in p)
        fn = sum(1 for g, p in zip(gold, predicted) if name in g and name not in p)
        precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        recall = tp / (tp + fn) if tp + fn else 1.0
        result[name] = {"precision": precision, "recall": recall, "f1": f1(precision, recall),
                        "support": tp + fn, "false_positives": fp}
    return result


def evaluate(gold_rows: Sequence[dict], predictions: Sequence[dict], flag_names: Sequence[str]) -> dict:
    """Scores for every dimension a gold row labels (rows without a dimension are skipped)."""
    report: dict = {}
    for dim in SINGLE_DIMENSIONS:
        pairs = [(g[dim], p[dim]) for g, p in zip(gold_rows, predictions) if g.get(dim)]
        if pairs:
            report[dim] = single_label([g for g, _ in pairs], [p for _, p in pairs])
    flagged = [(g["flags"], p["flags"]) for g, p in zip(gold_rows, predictions) if "flags" in g]
    if flagged:
        report["flags"] = flags([g for g, _ in flagged], [p for _, p in flagged], flag_names)
    report["needs_review_share"] = sum(1 for p in predictions if p.get("needs_review")) / max(1, len(predictions))
    return report


def render(report: dict) -> str:
    """A plain-text report: summary lines first, then per-code figures and confusion tables."""
    lines = []
    for dim in SINGLE_DIMENSIONS:
        if dim in report:
            r = report[dim]
            lines.append(f"{dim:14s} n={r['n']:4d}  accuracy={r['accuracy']:.3f}  macro_f1={r['macro_f1']:.3f}")
    for name, r in report.get("flags", {}).items():
        lines.append(f"flag {name:24s} P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} "
                     f"support={r['support']} fp={r['false_positives']}")
    lines.append(f"needs_review share: {report['needs_review_share']:.3f}")
    for dim in SINGLE_DIMENSIONS:
        if dim in report:
            lines += ["", f"== {dim}: per code", *_per_code(report[dim]), "", f"== {dim}: confusion (gold rows)",
                      *_confusion(report[dim])]
    return "\n".join(lines)


def _per_code(r: dict) -> list[str]:
    return [f"  {code:22s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} n={v['support']}"
            for code, v in r["per_code"].items()]


def _confusion(r: dict) -> list[str]:
    codes = list(r["per_code"])
    short = [c[:6] for c in codes]
    rows = ["  " + " " * 22 + " ".join(f"{s:>6s}" for s in short)]
    for g in codes:
        cells = " ".join(f"{r['confusion'].get(g, {}).get(p, 0) or '.':>6}" for p in codes)
        rows.append(f"  {g:22s}{cells}")
    return rows
