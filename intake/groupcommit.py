"""Group commit: concurrent requests share one transaction (one fsync) instead of one each.

Each request hands its prepared work to ``GroupCommit.submit`` and awaits its own result. One
writer task at a time takes everything queued (up to ``max_items``) and writes it with one call
of ``write``, which commits before it returns; so a request learns its result only once its rows
are durable. While that transaction runs, new requests queue up and form the next batch: under
light load a batch is one request and adds no delay; under heavy load batches grow by themselves.

If a batch fails, each of its items is written again in a transaction of its own, so one bad
item fails only its own request. The writer exists only while there is work (no lifecycle to
manage): the request that finds no writer starts one, and it ends when the queue is empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

Item = TypeVar("Item")
Result = TypeVar("Result")
log = structlog.get_logger()


class GroupCommit(Generic[Item, Result]):
    """A queue in front of ``write(items) -> results`` (same order, committed when it returns)."""

    def __init__(self, write: Callable[[list[Item]], Awaitable[Sequence[Result]]], *, max_items: int = 200) -> None:
        self._write = write
        self._max_items = max_items
        self._queue: list[tuple[Item, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self.batches = 0  # committed batches, for tests and metrics

    async def submit(self, item: Item) -> Result:
        """Queue one item and wait until it is committed (its result) or failed (its exception)."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain(), name="intake group commit")
        # Shielded: a caller that gives up does not cancel a transaction other callers share.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            # One turn of the event loop lets requests that arrived together join the first batch.
            await asyncio.sleep(0)
            while self._queue:
                batch, self._queue = self._queue[:self._max_items], self._queue[self._max_items:]
                await self._commit(batch)
        except BaseException:
            # Cancelled (shutdown): nobody will write what is still queued; say so rather than hang.
            self._fail_queued(RuntimeError("intake stopped before this complaint was stored"))
            raise
        finally:
            self._writer = None

    def _fail_queued(self, error: BaseException) -> None:
        queued, self._queue = self._queue, []
        for _, future in queued:
            _settle(future, error=error)

    async def _commit(self, batch: list[tuple[Item, asyncio.Future]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                _settle(future, error=RuntimeError("intake stopped before this complaint was stored"))
            raise
        except Exception as error:  # noqa: BLE001 - every failure is answered, item by item
            if len(batch) == 1:
                _settle(batch[0][1], error=error)
                return
            log.warning("group commit failed; writing its items one by one", items=len(batch), error=repr(error))
            for entry in batch:
                await self._commit([entry])
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(future: asyncio.Future, *, result: object = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
