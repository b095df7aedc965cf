"""A consumer process killed with SIGKILL mid-stream: nothing is lost and nothing is applied twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.bus import TopicSpec
from shared.consumer import dlq_topic
from tests.kafka.helpers import ResultStore, numbered_event, record_for, unique, wait_until
from tests.support import fresh_database

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
EVENTS = 2000
KEYS = 100
PARTITIONS = 8


@pytest.fixture(scope="module")
def crash_database_url() -> Iterator[str]:
    """A PostgreSQL database of its own, shared by the worker processes."""
    with fresh_database() as url:
        yield url


@pytest.fixture
async def pg_store(crash_database_url) -> AsyncIterator[ResultStore]:
    """The workers' results, inbox and outbox tables, read by the test."""
    store = ResultStore(crash_database_url)
    await store.create_schema()
    yield store
    await store.close()


class Workers:
    """Consumer worker processes of one group, each with a log file."""

    def __init__(self, env: dict[str, str], args: list[str], log_dir: Path) -> None:
        self._env = env
        self._args = args
        self._log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        """Start a worker that tags its rows with this name."""
        command = [sys.executable, "-m", "tests.kafka.consumer_worker", *self._args, "--worker", name]
        with open(self._log_dir / f"{name}.out", "wb") as out, open(self._log_dir / f"{name}.err", "wb") as err:
            self.processes[name] = subprocess.Popen(command, cwd=REPO, env=self._env, stdout=out, stderr=err)

    def kill(self, name: str) -> None:
        """SIGKILL: no revoke callback, no offset commit, no goodbye to the group."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop_all(self) -> dict[str, dict]:
        """SIGTERM the living workers and collect the outcome counts they print."""
        living = {n: p for n, p in self.processes.items() if p.poll() is None}
        for process in living.values():
            process.send_signal(signal.SIGTERM)
        for process in living.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        return {name: self._summary(name) for name in living}

    def _summary(self, name: str) -> dict:
        lines = (self._log_dir / f"{name}.out").read_text().splitlines()
        try:
            return json.loads(lines[-1])
        except (IndexError, ValueError):  # killed before it could report
            return {}

    def stderr_tail(self) -> str:
        """The end of every worker's log, for failure messages."""
        return "\n".join(f"--- {n}\n{(self._log_dir / f'{n}.err').read_text()[-1500:]}" for n in self.processes)


async def _rows_by(store: ResultStore, worker: str, at_least: int) -> bool:
    return len(await store.seqs(worker)) >= at_least


async def _all_applied(store: ResultStore) -> bool:
    return (await store.counts())[1] >= EVENTS


async def _publish_stream(bus, topic: str) -> None:
    await bus.ensure_topics([TopicSpec(topic, PARTITIONS), TopicSpec(dlq_topic(topic), 1)])
    records = [record_for(topic, numbered_event(seq, f"complaint-{seq % KEYS}"))[1] for seq in range(EVENTS)]
    await bus.publish(records)


async def test_consumer_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
    kafka_bus, kafka_env, crash_database_url, pg_store, tmp_path
):
    topic, group = unique("crash"), unique("crash-group")
    await _publish_stream(kafka_bus, topic)
    args = ["--database-url", crash_database_url, "--topic", topic, "--group", group, "--handler-sleep-ms", "10"]
    workers = Workers({**os.environ, **kafka_env}, args, tmp_path)
    try:
        workers.start("victim")
        workers.start("survivor")
        await wait_until(lambda: _rows_by(pg_store, "victim", 100), timeout_s=30, what="the victim's first rows")
        applied_before_kill = (await pg_store.counts())[0]
        workers.kill("victim")
        workers.start("replacement")  # a restarted pod joins while the dead member is still in the group
        await wait_until(lambda: _all_applied(pg_store), timeout_s=45, what="every event applied")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{workers.stderr_tail()}") from exc
    finally:
        summaries = workers.stop_all()

    total, distinct = await pg_store.counts()
    assert applied_before_kill < EVENTS, "the victim was killed after the stream ended"
    assert (total, distinct) == (EVENTS, EVENTS), f"outcomes per worker: {summaries}"
    # Redeliveries the inbox skipped: proof the kill fell between a database and an offset commit.
    assert sum(s.get("duplicate", 0) for s in summaries.values()) > 0, f"no redelivery: {summaries}"
    await _assert_per_key_order(pg_store)
    assert await kafka_bus.read_topic(dlq_topic(topic)) == []


async def _assert_per_key_order(store: ResultStore) -> None:
    """Rows in insertion order give each complaint's events in publish order, crash or not."""
    by_key: dict[int, list[int]] = defaultdict(list)
    for seq in await store.seqs():
        by_key[seq % KEYS].append(seq)
    for key, seqs in by_key.items():
        assert seqs == sorted(seqs), f"complaint-{key} applied out of order"
