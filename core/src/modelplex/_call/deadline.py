"""The one deadline mechanism of the call path: a task cancelled at its due time, that cancellation
turned into a :class:`~modelplex.errors.RequestTimeoutError`, exactly as ``asyncio.timeout`` does.

Three shapes of the same mechanism, for three needs:

* :func:`bounded` awaits one awaitable for at most ``seconds`` (an attempt, a model listing, a probe).
* :class:`Deadlines` is one timer shared by the calls of one address in flight, which all have the same
  length and so come due in the order they started. ``asyncio.timeout`` schedules a timer per call
  and cancels it after: a ``TimerHandle`` pushed onto the event loop's heap and, at the end, a cancelled
  handle left there for the loop to sweep. On a loaded loop that was half of the direct path's cost.
* :class:`StreamClock` bounds the whole of a stream being read, across the many ``__anext__`` calls of
  its reader, with one timer armed once: it cancels whichever task is reading when it fires.

Outside asyncio (trio), anyio's cancel scope does the same job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from modelplex.errors import ModelplexError

T = TypeVar("T")


class Deadline:
    """One call's entry: when it is due (loop time), its task, whether the deadline cancelled it."""

    __slots__ = ("fired", "task", "when")

    def __init__(self, when: float, task: asyncio.Task[Any]) -> None:
        self.when, self.task, self.fired = when, task, False

    def fire(self) -> None:
        """Cancel the task: it is due."""
        self.fired = True
        self.task.cancel()


def current_task() -> tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None:
    """The running asyncio loop and task; ``None`` under another event loop (trio)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    task = asyncio.current_task(loop)
    return None if task is None else (loop, task)


def ours(entry: Deadline, cancelling: int) -> bool:
    """Whether the cancellation being raised is the deadline's alone (then taken back, to be raised as a
    timeout), not also someone else's (an outer timeout, a task group, ``task.cancel()``)."""
    return entry.fired and entry.task.uncancel() <= cancelling


async def guarded(awaitable: Awaitable[T], entry: Deadline,
                  timed_out: Callable[[], ModelplexError]) -> T:
    """``await awaitable`` while ``entry`` may cancel it; its firing is raised as ``timed_out()``."""
    cancelling = entry.task.cancelling()
    try:
        result = await awaitable
    except asyncio.CancelledError:
        if ours(entry, cancelling):
            raise timed_out() from None
        raise
    if entry.fired:  # it fired as the awaitable returned: take back that cancellation
        entry.task.uncancel()
    return result


async def bounded(awaitable: Awaitable[T], seconds: float,
                  timed_out: Callable[[], ModelplexError]) -> T:
    """``await awaitable`` for at most ``seconds``; past them, ``timed_out()`` is raised."""
    running = current_task()
    if running is None:
        try:
            with anyio.fail_after(seconds):
                return await awaitable
        except TimeoutError:
            raise timed_out() from None
    loop, task = running
    entry = Deadline(loop.time() + seconds, task)
    handle = loop.call_at(entry.when, entry.fire)
    try:
        return await guarded(awaitable, entry, timed_out)
    finally:
        handle.cancel()


class Deadlines:
    """The deadlines of the calls in flight on ``loop``, each ``seconds`` after it started.

    Use :meth:`start` before the call, :func:`guarded` around it and :meth:`end` after it (in a
    ``finally``). Insertion order is start order, hence deadline order; ended calls are deleted in O(1).
    """

    __slots__ = ("_handle", "_pending", "loop", "seconds")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.loop, self.seconds = loop, seconds
        self._pending: dict[int, Deadline] = {}
        self._handle: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[Any]) -> Deadline:
        entry = Deadline(self.loop.time() + self.seconds, task)
        self._pending[id(entry)] = entry
        if self._handle is None:
            self._handle = self.loop.call_at(entry.when, self._expire)
        return entry

    def end(self, entry: Deadline) -> None:
        self._pending.pop(id(entry), None)

    def _expire(self) -> None:
        self._handle = None
        now = self.loop.time()
        pending = self._pending
        while pending:
            key = next(iter(pending))
            entry = pending[key]
            if entry.when > now:
                self._handle = self.loop.call_at(entry.when, self._expire)
                return
            del pending[key]
            entry.fire()

    def __len__(self) -> int:
        return len(self._pending)


class StreamClock:
    """The deadline of a whole stream, at ``due`` (``time.monotonic()``, which is asyncio's loop clock).

    On asyncio, :meth:`arm` arms one timer; the reader sets :attr:`reading` around each read and keeps
    the entry's ``task`` the reading one. When the timer fires, a read under way has its task cancelled
    (the reader raises ``timed_out()`` for it, see :func:`ours`), and the reader checks ``fired``
    before each read: its own awaits between two reads are never cancelled. Elsewhere (trio) each read
    goes through :meth:`next`, in a cancel scope ending at ``due``. :meth:`stop` disarms it.
    """

    __slots__ = ("_entry", "_handle", "due", "loop", "reading", "timed_out")

    def __init__(self, due: float, timed_out: Callable[[], ModelplexError]) -> None:
        self.due, self.timed_out = due, timed_out
        self._entry: Deadline | None = None
        self._handle: asyncio.TimerHandle | None = None
        self.reading = False  # a read is under way: the timer may cancel the reading task
        self.loop: asyncio.AbstractEventLoop | None = None  # asyncio's, once armed

    def arm(self) -> Deadline | None:
        """On asyncio, the timer armed and the entry whose ``task`` the reader keeps the reading one;
        ``None`` elsewhere (then the reader reads with :meth:`next`)."""
        running = current_task()
        if running is None:
            return None
        loop, task = running
        self.loop = loop
        entry = self._entry = Deadline(self.due, task)
        self._handle = loop.call_at(self.due, self._fire)
        return entry

    async def next(self, iterator: Any) -> Any:
        """``await iterator.__anext__()`` in a cancel scope ending at the deadline: the reader's way
        where :meth:`arm` gave ``None`` (``StopAsyncIteration`` passes through)."""
        try:
            with anyio.fail_after(max(0.0, self.due - time.monotonic())):
                return await iterator.__anext__()
        except TimeoutError:
            raise self.timed_out() from None

    def _fire(self) -> None:
        self._handle = None
        entry = self._entry
        if entry is not None:
            entry.fired = True
            if self.reading:
                entry.task.cancel()

    def stop(self) -> None:
        """The stream ended: the timer will cancel nothing."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._entry = None
