"""End-to-end benchmark: intake throughput and POST-to-classified latency over real processes.

Run from the repository root (loopback traffic only; every phase is time-bounded):

    .venv/bin/python -m bench.e2e_latency --stack embedded
    .venv/bin/python -m bench.e2e_latency --stack multiprocess   # PostgreSQL + test broker

It reuses the end-to-end tests' process helpers, so it starts Kesu exactly as they do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
import psutil

from tests.e2e.processes import KesuProcess, clean_env, create_api_key, run_kesu, stop_all
from tests.e2e.webhooks import WebhookReceiver
from tests.support import fresh_database, kafka_broker, kafka_settings_env

COMPLAINT = {"channel": "mobile_app", "content": "我的信用卡被收取了年费，但办卡时承诺终身免年费，要求退还。"}
SERVICES = ("intake", "classifier", "sla_tracker", "notifier")
WEBHOOK_SECRET = "bench-webhook-secret"


@dataclass
class Target:
    """A running stack: where intake answers, a key for it, and the processes behind it."""

    intake_url: str
    key: str
    processes: list[KesuProcess] = field(default_factory=list)

    def client(self, connections: int = 100) -> httpx.AsyncClient:
        """An HTTP client for intake, authenticated as the mobile_app channel."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=self.intake_url, headers={"Authorization": f"Bearer {self.key}"},
                                 timeout=30, limits=limits)


@contextlib.contextmanager
def embedded_stack(workdir: Path, webhook_url: str) -> Iterator[Target]:
    """``kesu up`` on a fresh data directory (SQLite, in-process bus)."""
    env = clean_env(KESU_ACK_WEBHOOK_URL=webhook_url, KESU_WEBHOOK_SECRET=WEBHOOK_SECRET)
    data_dir = workdir / "data"
    process = KesuProcess("kesu-up", ["up", "--data-dir", str(data_dir)], env, workdir)
    try:
        process.start().wait_ready()
        yield Target(process.url, create_api_key("mobile_app", env, workdir, data_dir), [process])
    finally:
        stop_all([process])


@contextlib.contextmanager
def multiprocess_stack(workdir: Path, webhook_url: str) -> Iterator[Target]:
    """PostgreSQL, the Kafka-protocol test broker and one ``kesu run`` process per service."""
    with fresh_database() as database_url, kafka_broker() as bootstrap:
        env = clean_env(**kafka_settings_env(bootstrap), KESU_DATABASE_URL=database_url,
                        KESU_TOPIC_PREFIX=f"bench-{uuid.uuid4().hex[:8]}.", KESU_ACK_WEBHOOK_URL=webhook_url,
                        KESU_WEBHOOK_SECRET=WEBHOOK_SECRET)
        run_kesu(["migrate"], env, workdir)
        run_kesu(["topics", "ensure"], env, workdir)
        key = create_api_key("mobile_app", env, workdir)
        processes = [KesuProcess(name, ["run", name], env, workdir) for name in SERVICES]
        try:
            for process in processes:
                process.start()
            for process in processes:
                process.wait_ready()
            yield Target(processes[0].url, key, processes)
        finally:
            stop_all(processes)


def cpu_seconds(target: Target) -> dict[str, float]:
    """CPU time (user + system) each process of the stack has used so far."""
    used = {}
    for process in target.processes:
        times = psutil.Process(process.popen.pid).cpu_times()
        used[process.name] = times.user + times.system
    return used


def cpu_share(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Per process, the share of one core used between two readings (1.0 = a whole core)."""
    return {name: round((after[name] - before[name]) / seconds, 2) for name in after}


def percentile(values: list[float], q: int) -> float | None:
    """The q-th percentile (1..99) in milliseconds, or None without data."""
    if len(values) < 2:
        return values[0] * 1000 if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


async def is_classified(client: httpx.AsyncClient, complaint_id: str) -> bool:
    """True once intake's view of the complaint carries the classifier's result."""
    response = await client.get(f"/v1/complaints/{complaint_id}")
    return response.status_code == 200 and response.json().get("classification") is not None


async def warm_up(target: Target) -> None:
    """A few complaints end to end, so that consumer groups are joined before anything is timed."""
    async with target.client() as client:
        ids = [(await client.post("/v1/complaints", json=COMPLAINT)).json()["complaint_id"] for _ in range(3)]
        deadline = time.monotonic() + 60
        while not all([await is_classified(client, cid) for cid in ids]):
            if time.monotonic() > deadline:
                raise TimeoutError("warm-up complaints were never classified")
            await asyncio.sleep(0.1)


async def measure_throughput(target: Target, clients: int, duration_s: float) -> tuple[dict, list[str]]:
    """N clients POST back to back for duration_s; accepted/s and POST latency."""
    latencies: list[float] = []
    accepted: list[str] = []
    errors = 0

    async def client_loop(client: httpx.AsyncClient, stop_at: float) -> None:
        nonlocal errors
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                response = await client.post("/v1/complaints", json=COMPLAINT)
            except httpx.HTTPError:
                errors += 1
                continue
            if response.status_code == 201:
                latencies.append(time.perf_counter() - started)
                accepted.append(response.json()["complaint_id"])
            else:
                errors += 1

    async with target.client(clients) as client:
        started, cpu_before = time.monotonic(), cpu_seconds(target)
        await asyncio.gather(*(client_loop(client, started + duration_s) for _ in range(clients)))
        elapsed = time.monotonic() - started
    figures = {"clients": clients, "seconds": round(elapsed, 1), "accepted": len(accepted), "errors": errors,
               "accepted_per_s": round(len(accepted) / elapsed, 1),
               "post_p50_ms": _ms(percentile(latencies, 50)), "post_p99_ms": _ms(percentile(latencies, 99)),
               "cpu_cores_used": cpu_share(cpu_before, cpu_seconds(target), elapsed)}
    return figures, accepted


async def wait_drained(target: Target, ids: list[str], load_seconds: float, timeout_s: float) -> dict:
    """How long after the load until its complaints are all classified (checked on a sample)."""
    # Consumers work partition by partition in order, so the newest complaints are classified last;
    # the last 50 cover every partition, and 50 random ones catch anything skipped earlier.
    sample = list(dict.fromkeys(ids[-50:] + random.sample(ids, min(50, len(ids)))))
    load_ended = time.monotonic()
    async with target.client() as client:
        deadline = load_ended + timeout_s
        while sample and time.monotonic() < deadline:
            sample = [cid for cid in sample if not await is_classified(client, cid)]
            if sample:
                await asyncio.sleep(0.2)
    if sample:
        return {"drained": False, "drain_seconds_after_load": None, "classified_per_s": None}
    drained_s = time.monotonic() - load_ended
    return {"drained": True, "drain_seconds_after_load": round(drained_s, 1),
            "classified_per_s": round(len(ids) / (load_seconds + drained_s), 1)}


async def measure_latency(target: Target, args: argparse.Namespace) -> dict:
    """Closed loop: each probe posts a complaint, polls GET until it is classified, then posts the next."""
    post_latencies: list[float] = []
    e2e_latencies: list[float] = []
    timeouts = 0
    stop_at = time.monotonic() + args.latency_seconds

    async def probe(client: httpx.AsyncClient) -> None:
        nonlocal timeouts
        while len(post_latencies) < args.complaints and time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await client.post("/v1/complaints", json=COMPLAINT)
            post_latencies.append(time.perf_counter() - started)
            seen = await _poll_classified(client, response.json()["complaint_id"], started, args)
            if seen is None:
                timeouts += 1
            else:
                e2e_latencies.append(seen - started)

    async with target.client() as client:
        await asyncio.gather(*(probe(client) for _ in range(args.probes)))
    return {"probes": args.probes, "complaints": len(post_latencies), "poll_ms": args.poll_ms, "timeouts": timeouts,
            "post_p50_ms": _ms(percentile(post_latencies, 50)), "post_p99_ms": _ms(percentile(post_latencies, 99)),
            "e2e_p50_ms": _ms(percentile(e2e_latencies, 50)), "e2e_p99_ms": _ms(percentile(e2e_latencies, 99)),
            "e2e_max_ms": _ms(max(e2e_latencies) * 1000 if e2e_latencies else None)}


async def _poll_classified(client: httpx.AsyncClient, complaint_id: str, started: float,
                           args: argparse.Namespace) -> float | None:
    while time.perf_counter() - started < args.timeout:
        if await is_classified(client, complaint_id):
            return time.perf_counter()
        await asyncio.sleep(args.poll_ms / 1000)
    return None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def run_phases(target: Target, args: argparse.Namespace) -> dict:
    """Warm up, load intake, wait for the backlog, then measure end-to-end latency on a quiet stack."""
    await warm_up(target)
    idle_before = cpu_seconds(target)
    await asyncio.sleep(args.idle)
    idle = cpu_share(idle_before, cpu_seconds(target), args.idle)
    throughput, ids = await measure_throughput(target, args.clients, args.duration)
    drain = await wait_drained(target, ids, throughput["seconds"], args.drain_timeout)
    latency = await measure_latency(target, args)
    return {"idle_cpu_cores_used": idle, "throughput": throughput, "drain": drain, "latency": latency}


def machine(load_at_start: float) -> dict:
    """Where the figures were measured (the load average shows what else was running)."""
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1m_at_start": round(load_at_start, 2), "load_average_1m_at_end": round(os.getloadavg()[0], 2)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["embedded", "multiprocess"], default="embedded")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the throughput phase")
    parser.add_argument("--duration", type=float, default=20, help="seconds of the throughput phase")
    parser.add_argument("--complaints", type=int, default=200, help="complaints timed end to end (at most)")
    parser.add_argument("--latency-seconds", type=float, default=30, help="bound on the latency phase")
    parser.add_argument("--probes", type=int, default=1, help="concurrent post-then-poll loops in the latency phase")
    parser.add_argument("--poll-ms", type=float, default=10, help="GET interval while waiting for a classification")
    parser.add_argument("--timeout", type=float, default=30, help="give up on one complaint after this many seconds")
    parser.add_argument("--drain-timeout", type=float, default=120, help="bound on waiting for the load's backlog")
    parser.add_argument("--idle", type=float, default=5, help="seconds to measure the idle stack's CPU use")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the stack, run every phase, print the figures, stop the stack."""
    args = parse_args(argv)
    load_at_start = os.getloadavg()[0]
    stack = embedded_stack if args.stack == "embedded" else multiprocess_stack
    with tempfile.TemporaryDirectory(prefix="kesu-bench-") as workdir, \
            WebhookReceiver(WEBHOOK_SECRET.encode()) as receiver, stack(Path(workdir), receiver.url) as target:
        try:
            figures = asyncio.run(run_phases(target, args))
        except BaseException:
            for process in target.processes:
                print(f"----- {process.name} -----\n{process.log_tail(5000)}")
            raise
    result = {"stack": args.stack, "machine": machine(load_at_start), **figures,
              "webhooks_received": len(receiver.deliveries)}
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
