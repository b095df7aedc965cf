"""Intake benchmark: sustained accepted complaints per second and POST latency at a fixed rate.

Run from the repository root (loopback only; every phase is time-bounded):

    .venv/bin/python -m bench.intake_throughput --stack embedded
    .venv/bin/python -m bench.intake_throughput --stack postgres        # PostgreSQL + test broker
    .venv/bin/python -m bench.intake_throughput --stack postgres --workers 2

Phases: a closed loop of ``--clients`` concurrent clients for ``--duration`` s (throughput), then an
open loop at ``--rate`` requests/s for ``--duration`` s (latency at a fixed arrival rate). Every
request carries a complainant (resident ID and phone from a pool of 5,000 people), so the vault,
the blind index, complainant resolution and duplicate search all run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.processes import KesuProcess, clean_env, create_api_key, run_kesu, stop_all
from tests.support import fresh_database, free_port, kafka_broker, kafka_settings_env, wait_for_port

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TEXTS = ["信用卡年费被乱收，办卡时承诺终身免年费，要求退还。", "房贷利率没有按照LPR下调，月供未变化。",
         "借记卡被境外盗刷三笔，要求冻结并追回资金。", "理财产品到期亏损，销售时说保本。",
         "手机银行升级后闪退无法登录。", "ATM取款未出钞但账户被扣款。"]


def resident_id(n: int) -> str:
    """A checksum-valid test resident ID for person n."""
    body = f"110105{1950 + n % 50}0101{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, W)) % 11]


def complaint(n: int) -> dict:
    """One request body; persons repeat, so some complaints find earlier ones of the same person."""
    person = random.randrange(5000)
    return {"channel": "mobile_app", "external_ref": f"B-{n}", "product_hint": "credit_card",
            "complainant": {"name": "测试", "id_type": "resident_id", "id_number": resident_id(person),
                            "phone": f"138{person:08d}"},
            "content": f"{random.choice(TEXTS)} 编号{n}"}


KEEP_ALIVE_S = 4.0


class Connections:
    """Keep-alive HTTP/1.1 over asyncio streams, pooled.

    Deliberately minimal: httpx cost about as much CPU per request as the server itself, and on a
    2-core machine the load generator's CPU is taken from the server being measured.
    """

    def __init__(self, url: str, key: str) -> None:
        self._host, _, port = url.removeprefix("http://").partition(":")
        self._port = int(port)
        self._head = (f"POST /v1/complaints HTTP/1.1\r\nHost: {self._host}\r\nAuthorization: Bearer {key}\r\n"
                      "Content-Type: application/json\r\nContent-Length: ")
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, body: dict) -> int:
        """POST one complaint; the status code."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        reader, writer = await self._connection()
        writer.write(f"{self._head}{len(payload)}\r\n\r\n".encode() + payload)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        await reader.readexactly(length)
        self._idle.append((reader, writer, time.monotonic()))
        return int(head.split(" ", 2)[1])

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            reader, writer, used = self._idle.pop()
            if time.monotonic() - used < KEEP_ALIVE_S:
                return reader, writer
            writer.close()  # the server may have closed it already (uvicorn keeps idle ones for 5 s)
        return await asyncio.open_connection(self._host, self._port)

    async def close(self) -> None:
        """Close every idle connection."""
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn workers), from /proc."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    ticks = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def embedded(workdir: Path) -> Iterator[tuple[str, str, int]]:
    """``kesu up`` on a fresh data directory."""
    env = clean_env(KESU_RATE_LIMIT_PER_S="100000")
    process = KesuProcess("kesu-up", ["up", "--data-dir", str(workdir / "data")], env, workdir)
    try:
        process.start().wait_ready()
        yield process.url, create_api_key("mobile_app", env, workdir, workdir / "data"), process.popen.pid
    finally:
        stop_all([process])


@contextlib.contextmanager
def postgres(workdir: Path, workers: int) -> Iterator[tuple[str, str, int]]:
    """Intake alone (uvicorn, ``workers`` processes) on a fresh PostgreSQL database and the test broker."""
    with fresh_database() as url, kafka_broker() as bootstrap:
        env = clean_env(**kafka_settings_env(bootstrap), KESU_DATABASE_URL=url, KESU_RATE_LIMIT_PER_S="100000")
        run_kesu(["migrate", "--service", "intake"], env, workdir)
        run_kesu(["topics", "ensure"], env, workdir)
        key = create_api_key("mobile_app", env, workdir)
        port = free_port()
        uvicorn = Path(sys.executable).parent / "uvicorn"
        args = [str(uvicorn), "--factory", "intake.main:create_app", "--port", str(port), "--workers", str(workers),
                "--log-level", "warning", "--no-access-log"]
        log = (workdir / "intake.log").open("w")
        proc = subprocess.Popen(args, env=env, cwd=Path.cwd(), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, 30)
            yield f"http://127.0.0.1:{port}", key, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=20)


async def closed_loop(client: Connections, clients: int, duration: float) -> dict:
    """``clients`` workers posting back to back; accepted/s and latency."""
    latencies: list[float] = []
    errors: dict = {}
    deadline = time.monotonic() + duration
    counter = iter(range(10**9))

    async def worker() -> None:
        while time.monotonic() < deadline:
            await _post(client, complaint(next(counter)), latencies, errors)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return _summary(latencies, errors, time.monotonic() - started)


async def open_loop(client: Connections, rate: float, duration: float) -> dict:
    """Requests started at a fixed rate whatever the answers' speed (no coordinated omission)."""
    latencies: list[float] = []
    errors: dict = {}
    tasks = []
    started = time.monotonic()
    for n in range(int(rate * duration)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(_post(client, complaint(10**8 + n), latencies, errors)))
    await asyncio.gather(*tasks)
    return _summary(latencies, errors, time.monotonic() - started)


async def _post(client: Connections, body: dict, latencies: list[float], errors: dict) -> None:
    began = time.perf_counter()
    try:
        status = await client.post(body)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        status = type(error).__name__
    if status == 201:
        latencies.append(time.perf_counter() - began)
    else:
        errors[status] = errors.get(status, 0) + 1


def _summary(latencies: list[float], errors: dict, seconds: float) -> dict:
    ordered = sorted(latencies) or [float("nan")]
    pick = lambda q: round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)  # noqa: E731
    return {"accepted": len(latencies), "seconds": round(seconds, 1), "accepted_per_s": round(len(latencies) / seconds, 1),
            "p50_ms": pick(0.5), "p99_ms": pick(0.99), "mean_ms": round(1000 * statistics.fmean(ordered), 1),
            "errors": errors}


async def measure(url: str, key: str, server_pid: int, args: argparse.Namespace) -> dict:
    """Warm up, then the closed and the open loop, each with the server's CPU per accepted complaint."""
    client = Connections(url, key)
    try:
        await closed_loop(client, 4, 2)
        throughput = await _with_cpu(server_pid, closed_loop(client, args.clients, args.duration))
        latency = await _with_cpu(server_pid, open_loop(client, args.rate, args.duration))
    finally:
        await client.close()
    return {"throughput": throughput, f"at_{args.rate:g}_per_s": latency}


async def _with_cpu(server_pid: int, phase) -> dict:
    before = cpu_seconds(server_pid)
    result = await phase
    used = cpu_seconds(server_pid) - before
    return {**result, "server_cpu_ms_per_accepted": round(1000 * used / max(1, result["accepted"]), 2),
            "load_avg_end": round(os.getloadavg()[0], 2)}


def main() -> None:
    """Parse arguments, start the stack, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=["embedded", "postgres"], default="embedded")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (postgres stack)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kesu-bench-") as tmp:
        stack = embedded(Path(tmp)) if args.stack == "embedded" else postgres(Path(tmp), args.workers)
        with stack as (url, key, pid):
            result = asyncio.run(measure(url, key, pid, args))
    print(json.dumps({"stack": args.stack, "clients": args.clients, "workers": args.workers,
                      "load_avg_start": round(load_before, 2), **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
