"""The gateway's own time on each request, apart from the time it waits on the upstream.

:class:`Overhead` is pure ASGI middleware: it starts a :class:`Timer` per request (kept in the ASGI
scope, so every task serving the request sees the same one), and adds ``x-modelplex-overhead-ms`` to the
response's headers: the time since the request arrived less the time spent waiting on the client library's
call (:meth:`Timer.waiting`). The client library's own work (routing, translating, the usage log's
queueing) is counted as upstream here, as it runs inside those calls; the benchmark (``nox -s bench``)
measures the whole added latency against calling the upstream directly. A stream's header is sent with its
first event, so it holds the overhead until then; the ``gateway_overhead_seconds`` metric gets the whole
request's once it has ended.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "modelplex_gateway.timer"
HEADER = b"x-modelplex-overhead-ms"
T = TypeVar("T")


class Timer:
    """When the request arrived, and how long it has waited on the upstream so far."""

    __slots__ = ("started", "upstream")

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.upstream = 0.0

    def overhead(self) -> float:
        """Seconds in the gateway so far, less those spent waiting on the upstream."""
        return max(0.0, time.perf_counter() - self.started - self.upstream)

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Count the time inside the block as waiting on the upstream."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.upstream += time.perf_counter() - started

    async def wait(self, awaitable: Awaitable[T]) -> T:
        """``await awaitable``, counted as waiting on the upstream."""
        with self.waiting():
            return await awaitable

    async def each(self, events: AsyncIterator[T]) -> AsyncIterator[T]:
        """``events``, the wait for each counted as waiting on the upstream."""
        while True:
            started = time.perf_counter()
            try:
                item = await anext(events)
            except StopAsyncIteration:
                return
            finally:
                self.upstream += time.perf_counter() - started
            yield item


def timer_of(scope: Scope) -> Timer:
    """The request's timer (a fresh one outside :class:`Overhead`, as in a unit test)."""
    timer = scope.get(SCOPE_KEY)
    if timer is None:
        timer = scope[SCOPE_KEY] = Timer()
    return timer


class Overhead:
    """ASGI middleware: a :class:`Timer` per HTTP request and the overhead header on its response;
    ``observe(scope, status, overhead_seconds, total_seconds)`` is called once the request has ended."""

    def __init__(self, app: ASGIApp, observe: Any = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timer = Timer()
        scope[SCOPE_KEY] = timer
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((HEADER, f"{timer.overhead() * 1000:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            if self.observe is not None:
                self.observe(scope, status, timer.overhead(), time.perf_counter() - timer.started)
