"""Deadlines for many calls of one length, on one timer: :class:`Deadlines`.

``asyncio.timeout`` schedules a timer per call and cancels it after: a ``TimerHandle``, a push onto
the event loop's heap (ordered by a Python ``__lt__``) and, at the end, a cancelled handle left in the
heap for the loop to sweep. On a loaded loop that was half of the direct path's cost. Calls to one
address all have the same timeout, so their deadlines come in the order the calls start: one timer for
the earliest is enough, re-armed for the next earliest when it fires.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Deadline:
    """One call's entry: when it is due, its task, whether the deadline cancelled it."""

    __slots__ = ("fired", "task", "when")

    def __init__(self, when: float, task: asyncio.Task[Any]) -> None:
        self.when, self.task, self.fired = when, task, False


class Deadlines:
    """The deadlines of the calls in flight on ``loop``, each ``seconds`` after it started.

    Use :meth:`start` before the call and :meth:`end` after it (in a ``finally``). A call still in
    flight at its deadline has its task cancelled and its entry marked ``fired``: the caller turns that
    cancellation into a timeout, exactly as ``asyncio.timeout`` does.
    """

    __slots__ = ("_handle", "_pending", "loop", "seconds")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.loop, self.seconds = loop, seconds
        # Insertion order is start order, hence deadline order; ended calls are deleted in O(1).
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
            entry.fired = True
            entry.task.cancel()

    def __len__(self) -> int:
        return len(self._pending)
