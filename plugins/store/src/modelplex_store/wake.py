"""Waking a call's task from the writer thread once its row is committed, on asyncio or trio.

A :class:`Waiter` is made in the task (it notes its event loop) and awaited there; the writer thread
wakes a whole batch's waiters with one hand-over per event loop, not one per call.

A call waits for its row at most :data:`LIMIT` seconds: a database that stalls mid-transaction (a
server stopped, a lock held for minutes) must not hold the calls too. The row stays queued and is
written when the store moves again; such a call is counted (:func:`late`) and logged, since the row
of a call that returned before its commit would not survive the process being killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Generator, Iterable
from typing import Any

from modelplex._logging import log

#: The longest a call waits for its row, in seconds.
LIMIT = 15.0
_late = 0
_late_lock = threading.Lock()


def late() -> int:
    """How many calls of this process returned before their rows were written (after :data:`LIMIT`)."""
    return _late


def _count_late() -> None:
    global _late
    with _late_lock:
        _late += 1
        count = _late
    log("warning", "store_write_late", limit=LIMIT, late=count)


class Waiter:
    """An awaitable completed from another thread by :func:`wake_all`, or by itself after :data:`LIMIT`."""

    __slots__ = ("_event", "_future", "_timer", "key")

    def __init__(self) -> None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            self.key: Any = loop
            self._future: asyncio.Future[None] | None = loop.create_future()
            self._timer: asyncio.TimerHandle | None = loop.call_later(LIMIT, self._expire)
            self._event: Any = None
        else:  # not asyncio: trio (the other backend the client runs on)
            import trio

            self.key = trio.lowlevel.current_trio_token()
            self._future = self._timer = None
            self._event = trio.Event()

    def __await__(self) -> Generator[Any, None, None]:
        if self._future is not None:
            return self._future.__await__()
        return self._trio_wait().__await__()

    async def _trio_wait(self) -> None:
        import trio

        with trio.move_on_after(LIMIT) as scope:
            await self._event.wait()
        if scope.cancelled_caught:
            _count_late()

    def _expire(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)
            _count_late()

    def _set(self) -> None:
        if self._future is not None:
            if self._timer is not None:
                self._timer.cancel()
            if not self._future.done():
                self._future.set_result(None)
        else:
            self._event.set()


def _set_all(waiters: list[Waiter]) -> None:
    for waiter in waiters:
        waiter._set()


def wake_all(waiters: Iterable[Waiter]) -> None:
    """Complete ``waiters`` (from any thread): one callback per event loop. A loop that has closed
    has nobody left to wake."""
    by_key: dict[Any, list[Waiter]] = {}
    for waiter in waiters:
        by_key.setdefault(waiter.key, []).append(waiter)
    for key, group in by_key.items():
        schedule: Callable[..., Any] = (key.call_soon_threadsafe if isinstance(key, asyncio.AbstractEventLoop)
                                        else key.run_sync_soon)
        # A closed loop raises RuntimeError (trio's RunFinishedError is one): nobody is left to wake.
        with contextlib.suppress(RuntimeError):
            schedule(_set_all, group)
