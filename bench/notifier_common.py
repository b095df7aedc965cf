"""What the notifier benchmarks share: the command line that picks SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack

from tests.support import fresh_database


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
