"""Waking a call's task from the writer thread once its row is committed, on asyncio or trio.

A :class:`Waiter` is made in the task (it notes its event loop) and awaited there; the writer thread
wakes a whole batch's waiters with one hand-over per event loop, not one per call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Generator, Iterable
from typing import Any


class Waiter:
    """An awaitable completed from another thread by :func:`wake_all`."""

    __slots__ = ("_event", "_future", "key")

    def __init__(self) -> None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            self.key: Any = loop
            self._future: asyncio.Future[None] | None = loop.create_future()
            self._event: Any = None
        else:  # not asyncio: trio (the other backend the client runs on)
            import trio

            self.key = trio.lowlevel.current_trio_token()
            self._future = None
            self._event = trio.Event()

    def __await__(self) -> Generator[Any, None, None]:
        if self._future is not None:
            return self._future.__await__()
        return self._event.wait().__await__()  # type: ignore[no-any-return]

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
