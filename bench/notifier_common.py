"""What the notifier benchmarks share: the command line that picks SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack

from sqlalchemy import func, select

from notifier.main import run_delivery
from notifier.models import notifications
from notifier.settings import NotifierSettings
from shared.service import Service
from tests.support import fresh_database


async def _sent(service: Service) -> int:
    async with service.unit_of_work() as uow:
        query = select(func.count()).select_from(notifications).where(notifications.c.status == "sent")
        return (await uow.session.execute(query)).scalar_one()


async def time_delivery(service: Service, settings: NotifierSettings, n: int) -> float:
    """Run the delivery worker until n notifications are sent; the seconds it took."""
    started = time.perf_counter()
    context = service.context
    worker = asyncio.create_task(run_delivery(service, settings, channels=context.channels, routing=context.routing))
    try:
        while await _sent(service) < n:
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


def database_main(run: Callable[[str, int], Awaitable[dict]], default_n: int) -> None:
    """Parse ``--n`` and ``--postgres``, run the benchmark on that database, print its JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=default_n)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(fresh_database())
        else:
            url = f"sqlite+aiosqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.sqlite"
        print(json.dumps(asyncio.run(run(url, args.n))))
