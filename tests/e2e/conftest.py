"""End-to-end fixtures: every process a test starts is stopped afterwards, and its log shown if it failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.processes import WATCHED, KesuProcess, stop_all


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Attach the logs of the test's processes to its failure report."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        for process in item.stash.get(WATCHED, []):
            report.sections.append((f"kesu process log: {process.name}", process.log_tail()))
    return report


@pytest.fixture
def processes(request) -> Iterator[list[KesuProcess]]:
    """Register processes here; they are stopped after the test, and their logs shown if it fails."""
    started: list[KesuProcess] = []
    request.node.stash[WATCHED] = started
    yield started
    stop_all(started)
