"""Streams: an async context manager over typed events that assembles the final response as it goes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._call.accumulator import Accumulator, parse_arguments
from modelplex._events import StreamEvent, TextDelta
from modelplex._responses import ChatResponse, Usage
from modelplex._trace import RoutingTrace
from modelplex.errors import ModelplexError, StreamInterruptedError

if TYPE_CHECKING:
    from modelplex._call.costs import Costs
    from modelplex._call.lifecycle import CallInfo, CallStatus, Lifecycle
    from modelplex._catalog.cost import Cost

__all__ = ["Accumulator", "ChatStream", "Observer", "RoutedEvents", "parse_arguments"]


class RoutedEvents:
    """The events of a stream as the call path hands them over: ``provider`` and ``model`` are the
    model that answers (a chain's choice), ``trace`` the routing trace once the stream has ended,
    ``usage`` the last usage the provider reported, ``error`` the failure that ended it,
    ``first_content`` the ``time.monotonic()`` of its first content event.

    :meth:`observe` lets :class:`ChatStream` see each event as it passes and hear of the end, so that
    it hands out this iterator itself rather than wrapping it in a generator of its own: every layer
    of async generator costs about a microsecond an event (``docs/benchmarks.md``).
    """

    provider: str
    model: str
    trace: RoutingTrace | None = None
    usage: Usage | None = None
    error: ModelplexError | None = None
    first_content: float | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError

    def observe(self, each: Callable[[StreamEvent], None], end: Callable[[], None]) -> None:
        """Call ``each(event)`` before each event is handed out, and ``end()`` once the stream has
        ended as it should (after its last event; not on a failure, which is raised instead)."""
        raise NotImplementedError


class Observer:
    """What a stream tells the call lifecycle: admitted on entry, reported once on exit."""

    def __init__(self, lifecycle: Lifecycle, call: CallInfo) -> None:
        self.lifecycle, self.call = lifecycle, call
        self.held: list[tuple[str, Any]] = []
        self.started = time.monotonic()

    async def admit(self) -> None:
        """The lifecycle's admission, as the stream opens; a refusal is reported once and raised."""
        from modelplex._call.lifecycle import CallOutcome

        self.started = time.monotonic()
        try:
            self.held = await self.lifecycle.admit(self.call)
        except ModelplexError as refusal:  # refused: reported as such, once, and nothing is opened
            await self.lifecycle.close(self.call, CallOutcome(status="error", error=refusal), (), report=True)
            raise

    async def report(self, stream: ChatStream, exc: BaseException | None) -> None:
        """The outcome of ``stream`` told to the lifecycle once, as it closes (``exc`` is what ended it,
        if anything): the response's on success, else the failure with the partial usage seen so far."""
        from modelplex._call.lifecycle import CallOutcome

        events, response = stream._events, stream.response
        duration = time.monotonic() - self.started
        first = getattr(events, "first_content", None)
        ttft = None if first is None else first - self.started
        trace = getattr(events, "trace", None)
        if response is not None and exc is None:
            outcome = CallOutcome(status="ok", provider=response.provider, model=response.model,
                                  usage=response.usage, duration=duration, time_to_first_token=ttft,
                                  trace=trace, response=response, cost=response.cost)
        else:
            error = getattr(events, "error", None)
            if error is None and isinstance(exc, ModelplexError):
                error = exc
            status: CallStatus = "error" if error is not None else "cancelled"
            if events is None:  # it never opened
                outcome = CallOutcome(status=status, error=error, duration=duration,
                                      trace=getattr(error, "trace", None))
            else:
                usage = stream._acc.seen(events.usage, self.call)
                outcome = CallOutcome(status=status, error=error, provider=events.provider,
                                      model=events.model, usage=usage, partial=True, duration=duration,
                                      time_to_first_token=ttft, cost=stream._priced(usage, partial=True),
                                      trace=trace if trace is not None else getattr(error, "trace", None))
        await self.lifecycle.close(self.call, outcome, self.held, report=True)


class ChatStream:
    """``async with client.stream(...) as stream: async for event in stream: ...``

    Leaving the block early closes the HTTP response. After the events are consumed,
    :attr:`response` holds the assembled :class:`ChatResponse`. A stream that ends before the provider
    said it was finished raises :class:`StreamInterruptedError` after the events already delivered.
    :attr:`trace` holds the routing trace once the stream has ended (also on ``response.trace`` and,
    after a failure, on the error's ``trace``). :attr:`cost` is what it cost: ``response.cost`` once it
    has ended, else (cut, cancelled, left early) the cost of the usage seen so far, marked partial.
    """

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[RoutedEvents]], provider: str,
                 model: str, observer: Observer | None = None, costs: Costs | None = None) -> None:
        self._opener = opener
        self._cm: AbstractAsyncContextManager[RoutedEvents] | None = None
        self._events: RoutedEvents | None = None
        self._acc = Accumulator(provider, model)
        self._observer = observer
        self._costs = costs
        self._call = None if observer is None else observer.call
        self._done = False
        self._observing = False
        self.response: ChatResponse | None = None

    async def __aenter__(self) -> ChatStream:
        observer = self._observer
        if observer is not None:
            await observer.admit()
        try:
            self._cm = self._opener()
            self._events = await self._cm.__aenter__()
        except BaseException as exc:
            if observer is not None:
                await observer.report(self, exc)
            raise
        self._acc = Accumulator(self._events.provider, self._events.model)  # a chain chose only now
        return self

    @property
    def trace(self) -> RoutingTrace | None:
        """How the stream was routed: set once it has ended (or failed, or was left early)."""
        events = self._events
        return None if events is None else events.trace

    @property
    def cost(self) -> Cost | None:
        """What the stream cost: ``response.cost`` once it has ended; before that, or when it was cut,
        cancelled or left early, what the usage seen so far cost (``partial``; a usage the provider has
        not counted yet is priced as unknown, never as zero). ``None`` before it opened."""
        if self.response is not None:
            return self.response.cost
        events = self._events
        if events is None:
            return None
        usage = events.usage or self._acc.usage
        if usage is None:  # not counted yet: estimated from the request where the lifecycle kept it
            usage = Usage(estimated=True) if self._call is None else self._acc.seen(None, self._call)
        return self._priced(usage, partial=True)

    def _priced(self, usage: Usage, partial: bool) -> Cost | None:
        """``usage`` of the model that answers, priced; ``None`` for a stream made without pricing."""
        if self._costs is None:
            return None
        return self._costs.cost(self._acc.provider, self._acc.model, usage, partial)

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self._cm is not None:
                cm, self._cm = self._cm, None
                await cm.__aexit__(et, ev, tb)
        finally:
            if self._observer is not None:
                observer, self._observer = self._observer, None
                await observer.report(self, ev)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        events = self._events
        if events is None:
            raise RuntimeError("use the stream inside 'async with client.stream(...) as stream'")
        if self._done:
            return _nothing()
        if not self._observing:  # the call path's own iterator, seen through, not wrapped
            self._observing = True
            events.observe(self._acc.add, self._ended)
        return events.__aiter__()

    def _ended(self) -> None:
        self._done = True
        if self._acc.finish is None:
            raise StreamInterruptedError("the stream ended before the provider said it was finished",
                                         provider=self._acc.provider, model=self._acc.model)
        response = self._acc.response()
        trace = self.trace
        response = response if trace is None else attrs.evolve(response, trace=trace)
        self.response = response if self._costs is None else self._costs.attach(response)

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text, as it arrives."""
        async for event in self:
            if isinstance(event, TextDelta):
                yield event.text

    async def get_response(self) -> ChatResponse:
        """Consume what is left of the stream and return the assembled response."""
        async for _ in self:
            pass
        assert self.response is not None
        return self.response


async def _nothing() -> AsyncIterator[StreamEvent]:
    return
    yield  # an async generator that ends at once
