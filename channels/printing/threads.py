"""Rendering off the event loop: drawing a PDF or writing an XLSX is CPU work (a 20,000-row roster is seconds of it),
so it runs in a worker thread while the event loop only reads rows from the database.

The rows still stream: the event loop gathers one page of rows from the server-side cursor and hands it to the
renderer in a thread, then gathers the next page while that one is drawn; it waits for the thread before handing
over the next page, so at most two pages of rows are in memory at any time. The renderer's state (the canvas, the
workbook) is touched only by one thread call at a time, never concurrently.

And at most :func:`concurrency` prints render at once in a process (``HUB_PRINT_CONCURRENCY``, by default 2 on this
2-core machine): a burst of prints queues for a slot, each still answered in turn, instead of every print sharing
the cores with the API's other requests.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 2
THREADS = 8  # a bound for renderers called directly (bench, tests); prints through a slot use at most `concurrency`

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_concurrency = DEFAULT_CONCURRENCY
_slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


def configure(concurrency: int) -> None:
    """How many prints may render at once in this process (``Settings.print_concurrency``)."""
    global _concurrency
    if concurrency < 1:
        raise ValueError("print concurrency must be at least 1")
    if concurrency != _concurrency:
        _concurrency = concurrency
        _slots.clear()  # new semaphores with the new size; a print holding an old slot keeps it until it is done


def concurrency() -> int:
    return _concurrency


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=max(THREADS, _concurrency), thread_name_prefix="hub-print")
        return _executor


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()  # asyncio's semaphores belong to one loop (each test has its own)
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(_concurrency)
    return slot


@asynccontextmanager
async def print_slot() -> AsyncIterator[None]:
    """Hold one of the process's print slots while rendering; waits (without a timeout) while all are taken."""
    slot = _slot()
    if slot.locked():
        log.info("print waits for a rendering slot (%d in use)", _concurrency)
    started = time.monotonic()
    async with slot:
        waited = time.monotonic() - started
        if waited > 0.5:
            log.info("print waited %.1f s for a rendering slot", waited)
        yield


async def in_thread(work: Callable[[], R]) -> R:
    """Run ``work`` in a printing thread; the caller waits for it to finish even when cancelled, so nothing the
    thread uses (the canvas, the spooled file) is closed under it."""
    future = asyncio.get_running_loop().run_in_executor(_pool(), work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


async def pages_in_thread(rows: AsyncIterator[T], page_size: int, draw: Callable[[Sequence[T]], None]) -> int:
    """Gather ``rows`` into pages of ``page_size`` on the event loop and ``draw`` each page (the last one may be
    shorter; none when there are no rows) in a printing thread, one page at a time and in order, while the next
    page is read. Returns how many rows there were."""
    loop = asyncio.get_running_loop()
    pool = _pool()
    pending: asyncio.Future[None] | None = None
    page: list[T] = []
    count = 0
    try:
        async for row in rows:
            page.append(row)
            count += 1
            if len(page) >= page_size:
                if pending is not None:
                    await asyncio.shield(pending)  # the previous page is drawn before this one is handed over
                pending = loop.run_in_executor(pool, draw, page)
                page = []
        if pending is not None:
            await asyncio.shield(pending)
        if page:
            pending = loop.run_in_executor(pool, draw, page)
            await asyncio.shield(pending)
    finally:
        if pending is not None and not pending.done():
            # an error or a cancellation while a page is being drawn: let the thread finish before the caller
            # closes what it draws into
            await asyncio.wait([pending])
    return count
