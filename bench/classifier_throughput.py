"""Throughput of `kesu classify`: complaints per second per core, in-process and as a pipe.

    .venv/bin/python -m bench.classifier_throughput            # defaults: 20,000 complaints
    .venv/bin/python -m bench.classifier_throughput --n 50000 --json

Inputs are the Chinese evaluation texts and the CFPB held-out narratives, repeated to --n.
Per-core figures divide by the CPU time the process used (user + system), so a second core
busy with something else does not flatter or hide anything. Output: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from importlib import resources
from io import StringIO
from itertools import cycle, islice


def eval_lines(name: str, n: int) -> list[str]:
    """n JSON lines for `kesu classify`, cycling through a packaged evaluation file."""
    raw = resources.files("classifier").joinpath(f"data/eval/{name}").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
    picked = islice(cycle(rows), n)
    return [json.dumps({"id": f"b{i}", "text": r["text"], "channel": r.get("channel")}, ensure_ascii=False)
            for i, r in enumerate(picked)]


def process_cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_process(lines: list[str]) -> dict:
    """classify_stream over an in-memory stream: the work `kesu classify` does, without start-up."""
    from classifier.cli import _classifier, classify_stream

    classifier = _classifier(None)
    classify_stream(classifier, StringIO("\n".join(lines[:200])), StringIO())  # warm caches
    wall, cpu = time.perf_counter(), process_cpu_seconds()
    count = classify_stream(classifier, StringIO("\n".join(lines)), StringIO())
    wall, cpu = time.perf_counter() - wall, process_cpu_seconds() - cpu
    return {"complaints": count, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "per_s": round(count / wall), "per_core_s": round(count / cpu)}


def as_pipe(lines: list[str]) -> dict:
    """`python -m classifier.cli classify` as a child process fed on stdin, start-up included."""
    child_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = child_cpu.ru_utime + child_cpu.ru_stime
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "classifier.cli", "classify"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before
    count = sum(1 for line in done.stdout.splitlines() if line.startswith("{"))
    return {"complaints": count, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "per_s": round(count / wall), "per_core_s": round(count / cpu)}


def _model_version() -> str:
    from classifier.cli import _classifier

    return _classifier(None).model_version


def main() -> None:
    """Run both measurements on both languages and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="complaints per measurement")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "processor": platform.processor() or platform.machine(),
                          "loadavg_start": os.getloadavg()}}
    for label, name in (("zh", "zh_eval.jsonl"), ("en_cfpb", "cfpb_heldout.jsonl")):
        lines = eval_lines(name, args.n)
        report[label] = {"in_process": in_process(lines), "pipe": as_pipe(lines)}
    report["machine"]["loadavg_end"] = os.getloadavg()
    report["model"] = _model_version()
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
