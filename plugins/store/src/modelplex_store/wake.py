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
import collections
import contextlib
import threading
import weakref
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


class _Expiry:
    """The asyncio waiters of one event loop, in the order they were made, so by deadline (while
    :data:`LIMIT` stays as it is), and one timer armed for the oldest pending one's. A timer per call
    (a handle made, pushed on the loop's heap, cancelled, swept) cost more than the rest of a
    :class:`Waiter`. Holds no strong reference to the loop (waiters by weak reference, the timer by
    its deadline only), so that a loop closed with waiters pending is still collected."""

    __slots__ = ("armed", "pending")

    def __init__(self) -> None:
        self.pending: collections.deque[tuple[float, weakref.ref[Waiter]]] = collections.deque()
        self.armed = False

    def add(self, loop: asyncio.AbstractEventLoop, waiter: Waiter, deadline: float) -> None:
        pending = self.pending
        # Rows are committed about in the order calls end: the waiters done are mostly at the front.
        while pending and _settled(pending[0][1]):
            pending.popleft()
        pending.append((deadline, weakref.ref(waiter)))
        if not self.armed:
            self.armed = True
            loop.call_at(deadline, self._check, loop)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self.armed = False
        now = loop.time()
        pending = self.pending
        while pending:
            deadline, ref = pending[0]
            if _settled(ref):
                pending.popleft()
            elif deadline > now:
                self.armed = True
                loop.call_at(deadline, self._check, loop)
                return
            else:
                pending.popleft()
                waiter = ref()
                if waiter is not None:
                    waiter._expire()


def _settled(ref: weakref.ref[Waiter]) -> bool:
    waiter = ref()
    return waiter is None or waiter._future is None or waiter._future.done()


_expiries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Expiry] = weakref.WeakKeyDictionary()
#: The last event loop asked for (weakly) and its _Expiry: a process has one loop, mostly, and a
#: WeakKeyDictionary lookup is Python code that makes a weak reference each time, on every call.
_last: tuple[weakref.ref[asyncio.AbstractEventLoop], _Expiry] | None = None


def _expiry(loop: asyncio.AbstractEventLoop) -> _Expiry:
    """``loop``'s :class:`_Expiry`, made on first use."""
    global _last
    last = _last
    if last is not None and last[0]() is loop:
        return last[1]
    expiry = _expiries.get(loop)
    if expiry is None:
        expiry = _expiries[loop] = _Expiry()
    _last = (weakref.ref(loop), expiry)
    return expiry


class Waiter:
    """An awaitable completed from another thread by :func:`wake_all`, or by itself after :data:`LIMIT`."""

    __slots__ = ("__weakref__", "_event", "_future", "key")

    def __init__(self) -> None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            self.key: Any = loop
            self._future: asyncio.Future[None] | None = loop.create_future()
            self._event: Any = None
            expiry = _expiry(loop)
            expiry.add(loop, self, loop.time() + LIMIT)
        else:  # not asyncio: trio (the other backend the client runs on)
            import trio

            self.key = trio.lowlevel.current_trio_token()
            self._future = None
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
