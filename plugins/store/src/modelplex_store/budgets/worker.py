"""The SQL ledger's worker: one thread, whose operations run in the order they were asked for, each
handed to it before its caller's first ``await``.

Why not ``anyio.to_thread.run_sync``: it waits (a checkpoint, the thread limiter) before the work
reaches a thread, so a release whose caller was cancelled in that moment (a timeout around a call's
clean-up) never ran, and the reservation it gave back stayed counted until its lease ended. Here a
caller's cancellation only stops it waiting; its operation runs all the same, and a release asked for
after a reservation runs after it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Worker:
    """One thread (started on first use, stopped by :meth:`close`) running operations in order."""

    __slots__ = ("_name", "_pool")

    def __init__(self, name: str) -> None:
        self._name = name
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """``work()``'s result, or its exception; ``work`` runs even if this is cancelled."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=self._name)
        future = self._pool.submit(work)
        await _done(future)
        return future.result()

    def close(self) -> None:
        """Stop the thread once the operations asked for have run; the next :meth:`run` starts another."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


async def _done(future: concurrent.futures.Future[Any]) -> None:
    """Wait for ``future`` on asyncio or trio. Cancelling the wait leaves ``future`` alone
    (``asyncio.wrap_future`` would cancel it, dropping an operation not yet started)."""
    loop = asyncio._get_running_loop()
    if loop is not None:
        waiter: asyncio.Future[None] = loop.create_future()

        def wake(_: object) -> None:
            # A loop that has closed has nobody left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_set, waiter)

        future.add_done_callback(wake)
        await waiter
    else:  # not asyncio: trio (the other backend the client runs on)
        import trio

        token = trio.lowlevel.current_trio_token()
        event = trio.Event()

        def wake_trio(_: object) -> None:
            with contextlib.suppress(RuntimeError):  # trio.RunFinishedError is one
                token.run_sync_soon(event.set)

        future.add_done_callback(wake_trio)
        await event.wait()


def _set(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
