"""Kesu as real OS processes: start, wait until it answers, stop gracefully or kill, read its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.support import free_port

KESU = Path(sys.executable).parent / "kesu"
T = TypeVar("T")
# The processes whose logs a failing test's report shows (see tests/e2e/conftest.py).
WATCHED = pytest.StashKey[list["KesuProcess"]]()


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without any KESU_ variable a developer may have set, plus the overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESU_")}
    env["PYTHONUNBUFFERED"] = "1"  # so a log read after a crash is complete
    env.update(overrides)
    return env


def run_kesu(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float = 60) -> str:
    """Run a one-shot ``kesu`` command to completion; its stdout, or an error carrying stderr."""
    done = subprocess.run([str(KESU), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"kesu {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def create_api_key(channel: str, env: dict[str, str], cwd: Path, data_dir: Path | None = None) -> str:
    """Issue a channel API key with ``kesu apikey create``; the key is its last line."""
    args = ["apikey", "create", "--channel", channel]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    return run_kesu(args, env, cwd).strip().splitlines()[-1]


def wait_until(check: Callable[[], T], timeout_s: float, what: str, interval_s: float = 0.05) -> T:
    """Call ``check`` until it returns something truthy; that value, or TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s}s (last: {value!r})")
        time.sleep(interval_s)


class KesuProcess:
    """One long-running ``kesu`` process with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path, port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.args = [*args, "--port", str(self.port)]
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.popen: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """Where its HTTP API answers."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> KesuProcess:
        """Launch it (again), appending to the same log."""
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts}: kesu {' '.join(self.args)}\n".encode())
            self.popen = subprocess.Popen([str(KESU), *self.args], env=self.env, cwd=self.workdir,
                                          stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout_s: float = 30) -> KesuProcess:
        """Block until /healthz answers; fail early, with the log, if the process died."""
        wait_until(self._healthy, timeout_s, f"{self.name} answering on {self.url}")
        return self

    def _healthy(self) -> bool:
        if self.popen is None or self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited before it was ready:\n{self.log_tail()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self, timeout_s: float = 20) -> int:
        """SIGTERM (a graceful shutdown) and wait; the exit status."""
        return self._signal(signal.SIGTERM, timeout_s)

    def kill(self) -> int:
        """SIGKILL: the process gets no chance to flush or clean up."""
        return self._signal(signal.SIGKILL, 10)

    def _signal(self, signum: int, timeout_s: float) -> int:
        if self.popen is None:
            return 0
        if self.popen.poll() is None:
            self.popen.send_signal(signum)
        try:
            return self.popen.wait(timeout=timeout_s)
        finally:
            if self.popen.poll() is None:  # did not stop in time: never leave it behind
                self.popen.kill()
                self.popen.wait()

    def log_tail(self, max_chars: int = 20_000) -> str:
        """The end of its combined stdout and stderr."""
        if not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-max_chars:]


def stop_all(processes: Iterable[KesuProcess]) -> None:
    """Stop every process still running (gracefully, then by force)."""
    for process in processes:
        if process.popen is not None and process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    for process in processes:
        process.terminate(timeout_s=15)
