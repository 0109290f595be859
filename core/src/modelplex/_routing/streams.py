"""The stream of a call: a provider's stream opened (held back to its first content event for a chain,
which may still fall back) and then read to its end within the call's deadline.

A stream falls back only before its first content event (text, reasoning or a tool call); the events
before it are held back until then. After it, a failure is raised after the events already delivered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import anyio

from modelplex._call.attempt import plugin_of, start, translated
from modelplex._call.deadline import StreamClock
from modelplex._events import (
    Finished,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex._stream import RoutedEvents
from modelplex.errors import ModelplexError, ProviderError, RequestTimeoutError, StreamInterruptedError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient
    from modelplex._options import ChatRequest
    from modelplex._responses import ProviderWarning, Usage
    from modelplex._retry import RoutingPolicy
    from modelplex._routing.attempts import Outcome
    from modelplex._routing.candidates import Candidate
    from modelplex._routing.router import Router
    from modelplex._trace import RoutingTrace

_CONTENT = (TextDelta, ReasoningDelta, ToolCallStarted, ToolCallDelta, ToolCallEnded)


def is_content(event: StreamEvent) -> bool:
    """Whether delivering ``event`` commits a stream to its model (no fallback after it)."""
    if isinstance(event, TextDelta):
        return bool(event.text)
    return isinstance(event, _CONTENT)


def interrupted(c: Candidate) -> StreamInterruptedError:
    return StreamInterruptedError("the stream ended before the provider said it was finished",
                                  provider=c.provider, model=c.model)


class Opened:
    """A provider's stream, opened and read up to its first content event (a chain's), or to its first
    event from the provider (a plugin's own warnings are not one: the call timeout still runs)."""

    def __init__(self, client: AsyncClient, candidate: Candidate) -> None:
        self.client = client
        self.candidate = candidate
        self.cm: AbstractAsyncContextManager[AsyncIterator[StreamEvent]] | None = None
        self.iterator: AsyncIterator[StreamEvent] | None = None
        self.buffer: list[StreamEvent] = []
        self.ended = False

    def translated(self, exc: BaseException) -> ModelplexError:
        c = self.candidate
        return translated(exc, c.provider, c.model, plugin_of(self.client, c.provider))

    async def open(self, request: ChatRequest, *, until_content: bool,
                   warnings: Sequence[ProviderWarning] = ()) -> Opened:
        c = self.candidate
        self.buffer.extend(WarningRaised(warning=w) for w in warnings)
        error: ModelplexError | None = None
        try:
            self.cm = start(self.client, c.provider, c.model, "modelplex_chat_stream", request=request)
            events = await self.cm.__aenter__()
            self.iterator = events.__aiter__()
            while True:
                try:
                    event = await self.iterator.__anext__()
                except StopAsyncIteration:
                    self.ended = True
                    break
                self.buffer.append(event)
                if isinstance(event, Finished) or is_content(event) or (
                        not until_content and not isinstance(event, WarningRaised)):
                    break
            if self.ended and not any(isinstance(e, Finished) for e in self.buffer):
                raise interrupted(c)
        except BaseException as exc:
            await self.close(exc)
            error = self.translated(exc) if isinstance(exc, Exception) else None
            if error is None or error is exc:
                raise
        if error is not None:  # raised outside the clause, which would link exc back (see attempt.invoke)
            raise error
        return self

    async def close(self, exc: BaseException | None) -> None:
        cm, self.cm = self.cm, None
        if cm is None:
            return
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            if exc is None:
                await cm.__aexit__(None, None, None)
            else:
                await cm.__aexit__(type(exc), exc, exc.__traceback__)


class Events(RoutedEvents):
    """The events of the stream that was chosen: those held back, then the rest as they come, all
    within the call's deadline."""

    def __init__(self, router: Router, outcome: Outcome[Opened], policy: RoutingPolicy) -> None:
        self._router = router
        self._outcome = outcome
        self._opened = outcome.result
        self._policy = policy
        self._finished = False
        self._recorded = False
        self.usage: Usage | None = None
        self.error: ModelplexError | None = None
        self.first_content: float | None = None  # time.monotonic() of the first content event
        self.provider = outcome.candidate.provider
        self.model = outcome.candidate.model
        self.trace: RoutingTrace | None = None
        self._events: AsyncIterator[StreamEvent] | None = None
        self._each: Callable[[StreamEvent], None] | None = None
        self._end: Callable[[], None] | None = None
        self._deadline_error: RequestTimeoutError | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._events is None:  # one iteration, however many loops take part in it
            self._events = self._iterate()
        return self._events

    def observe(self, each: Callable[[StreamEvent], None], end: Callable[[], None]) -> None:
        self._each, self._end = each, end

    def _timed_out(self) -> RequestTimeoutError:
        c = self._outcome.candidate
        error = self._deadline_error = RequestTimeoutError(
            f"the stream did not end within the deadline ({self._policy.deadline:g}s)", provider=c.provider,
            model=c.model)
        return error

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        opened = self._opened
        each = self._each
        clock = StreamClock(self._outcome.deadline, self._timed_out)
        failed: ModelplexError | None = None
        try:
            while opened.buffer:
                event = opened.buffer.pop(0)
                self._note(event)
                if each is not None:
                    each(event)
                yield event
            iterator = opened.iterator
            if not opened.ended and iterator is not None:
                read = clock.next
                while True:
                    try:
                        event = await read(iterator)
                    except StopAsyncIteration:
                        break
                    if type(event) is not TextDelta:  # text, most events, says nothing to note
                        self._note(event)
                    elif self.first_content is None:
                        self.first_content = time.monotonic()
                    if each is not None:
                        each(event)
                    yield event
                opened.ended = True
        except Exception as exc:
            # The deadline's own error is the core's; anything else came out of the plugin.
            error = exc if exc is self._deadline_error else opened.translated(exc)
            await self._record(error)
            if error is exc:
                raise
            failed = error
        finally:
            clock.stop()
        if failed is not None:  # raised outside the clause, which would link exc back (see attempt.invoke)
            raise failed
        if not self._finished:
            error = interrupted(self._outcome.candidate)
            await self._record(error)
            raise error
        await self._record(None)
        if self._end is not None:
            self._end()

    def _note(self, event: StreamEvent) -> None:
        if isinstance(event, UsageReported):
            self.usage = event.usage
        elif isinstance(event, Finished):
            self._finished = True
        elif self.first_content is None and is_content(event):
            self.first_content = time.monotonic()

    async def _record(self, error: ModelplexError | None) -> None:
        """The end of the stream: its attempt goes into the trace, its outcome into the cool-downs."""
        if self._recorded:
            return
        self._recorded = True
        o = self._outcome
        address = o.candidate.address
        o.trace.attempt(address, time.monotonic() - o.started, waited=o.waited, error=error)
        self.trace = o.trace.build(address)
        if error is not None:
            self.error = error
            if isinstance(error, ProviderError):
                error.trace = self.trace
            await self._router.failed(address, error, self._policy)
        else:
            await self._router.succeeded(address)

    async def close(self, exc: BaseException | None) -> None:
        """Leaving the block: the provider's stream is closed and the reservation settled."""
        await self._opened.close(exc)
        if not self._recorded:  # left early: not a failure of the model
            self._recorded = True
            o = self._outcome
            o.trace.attempt(o.candidate.address, time.monotonic() - o.started, waited=o.waited)
            self.trace = o.trace.build(o.candidate.address)
        reservation = self._outcome.reservation
        if reservation is not None:
            from modelplex._routing.attempts import settle

            used = self.usage.total if self.usage is not None else reservation.tokens
            await settle(self._router, reservation, used)

