"""Streams: an async context manager over typed events that assembles the final response as it goes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._events import (
    Finished,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex._messages import Origin, Part, ReasoningPart, TextPart, ToolCallPart
from modelplex._responses import ChatResponse, FinishReason, ProviderWarning, Usage
from modelplex._trace import RoutingTrace
from modelplex.errors import ModelplexError, StreamInterruptedError

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallInfo, CallStatus, Lifecycle


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments as a JSON object; on anything else, ``{}`` and the raw text (nothing lost)."""
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError:
        return {}, text
    return (value, None) if isinstance(value, dict) else ({}, text)


class Accumulator:
    """Folds stream events into the parts, usage and finish reason of a :class:`ChatResponse`."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider, self.model = provider, model
        # Reasoning is replayed to the model the caller asked for, not the snapshot that answered.
        self.origin = Origin(provider=provider, model=model)
        self.id: str | None = None
        self.parts: list[Part] = []
        self.usage: Usage | None = None
        self.finish: Finished | None = None
        self.warnings: list[ProviderWarning] = []
        self._text: list[str] | None = None
        self._reasoning: dict[str, Any] | None = None
        self._calls: dict[int, dict[str, Any]] = {}

    def _close_runs(self, keep: str) -> None:
        if keep != "text" and self._text is not None:
            self.parts.append(TextPart(text="".join(self._text)))
            self._text = None
        if keep != "reasoning" and self._reasoning is not None:
            r = self._reasoning
            self.parts.append(ReasoningPart(text="".join(r["text"]), signature=r["signature"],
                                            redacted_data=r["redacted"],
                                            origin=self.origin))
            self._reasoning = None

    def add(self, event: StreamEvent) -> None:
        if type(event) is TextDelta and self._text is not None:  # text goes on (no other run is open)
            self._text.append(event.text)
        elif isinstance(event, TextDelta):
            self._close_runs("text")
            if self._text is None:
                self._text = []
            self._text.append(event.text)
        elif isinstance(event, ReasoningDelta) and event.redacted_data is not None and not (
                self._reasoning is not None and self._reasoning["signature"] is None
                and self._reasoning["redacted"] is None and self._text is None):
            # A redacted block that does not end an open, unsigned reasoning run (OpenAI's reasoning
            # item ends its summary with its id and encrypted content) arrives whole and stands alone
            # (Anthropic's redacted thinking): merged into a neighbour, its data would be lost on replay.
            self._close_runs("")
            self.parts.append(ReasoningPart(text=event.text, signature=event.signature,
                                            redacted_data=event.redacted_data, origin=self.origin))
        elif isinstance(event, ReasoningDelta):
            self._close_runs("reasoning")
            r = self._reasoning
            if r is None or (r["signature"] is not None and event.text):
                self._close_runs("")
                r = self._reasoning = {"text": [], "signature": None, "redacted": None}
            r["text"].append(event.text)
            r["signature"] = event.signature or r["signature"]
            r["redacted"] = event.redacted_data or r["redacted"]
        elif isinstance(event, ToolCallStarted):
            self._close_runs("")
            self._calls[event.index] = {"id": event.id, "name": event.name, "args": [],
                                        "slot": len(self.parts)}
            self.parts.append(ToolCallPart(id=event.id, name=event.name))
        elif isinstance(event, ToolCallDelta):
            call = self._calls.get(event.index)
            if call is not None:
                call["args"].append(event.arguments)
        elif isinstance(event, ToolCallEnded):
            self._close_runs("")
            started = self._calls.pop(event.index, None)
            if started is None:
                self.parts.append(event.call)
            else:
                self.parts[started["slot"]] = event.call
        elif isinstance(event, UsageReported):
            self.usage = event.usage
        elif isinstance(event, Finished):
            self.finish = event
        elif isinstance(event, WarningRaised):
            self.warnings.append(event.warning)
        elif isinstance(event, ResponseStarted):
            self.id = event.id or self.id
            self.model = event.model or self.model

    def seen(self, usage: Usage | None, call: CallInfo) -> Usage:
        """The usage of a stream cut short: the provider's last count, else an estimate of the
        prompt and of the text received so far (marked estimated)."""
        if usage is not None:
            return usage
        from modelplex._estimate import CHARS_PER_TOKEN, prompt_tokens

        request: Any = call.request
        chars = sum(len(t) for t in self._text or ()) + sum(len(getattr(p, "text", "")) for p in self.parts)
        return Usage(input=prompt_tokens(request.messages, request.options),
                     output=-(-chars // CHARS_PER_TOKEN), estimated=True)

    def response(self) -> ChatResponse:
        self._close_runs("")
        for call in self._calls.values():  # calls whose end the provider never marked
            args, raw = parse_arguments("".join(call["args"]))
            self.parts[call["slot"]] = ToolCallPart(id=call["id"], name=call["name"], arguments=args,
                                                    raw_arguments=raw)
        self._calls.clear()
        finish = self.finish or Finished(reason=FinishReason.OTHER)
        return ChatResponse(provider=self.provider, model=self.model, parts=tuple(self.parts),
                            finish_reason=finish.reason, raw_finish_reason=finish.raw_reason,
                            usage=self.usage or Usage(estimated=True), warnings=tuple(self.warnings),
                            id=self.id)


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
        from modelplex._call.lifecycle import CallOutcome

        self.started = time.monotonic()
        try:
            self.held = await self.lifecycle.admit(self.call)
        except ModelplexError as refusal:  # refused: reported as such, once, and nothing is opened
            await self.lifecycle.close(self.call, CallOutcome(status="error", error=refusal), (), report=True)
            raise

    async def report(self, stream: ChatStream, exc: BaseException | None) -> None:
        from modelplex._call.lifecycle import CallOutcome

        events, response = stream._events, stream.response
        duration = time.monotonic() - self.started
        first = getattr(events, "first_content", None)
        ttft = None if first is None else first - self.started
        trace = getattr(events, "trace", None)
        if response is not None and exc is None:
            outcome = CallOutcome(status="ok", provider=response.provider, model=response.model,
                                  usage=response.usage, duration=duration, time_to_first_token=ttft,
                                  trace=trace, response=response)
        else:
            error = getattr(events, "error", None)
            if error is None and isinstance(exc, ModelplexError):
                error = exc
            status: CallStatus = "error" if error is not None else "cancelled"
            if events is None:  # it never opened
                outcome = CallOutcome(status=status, error=error, duration=duration,
                                      trace=getattr(error, "trace", None))
            else:
                outcome = CallOutcome(status=status, error=error, provider=events.provider,
                                      model=events.model, usage=stream._acc.seen(events.usage, self.call),
                                      partial=True, duration=duration, time_to_first_token=ttft,
                                      trace=trace if trace is not None else getattr(error, "trace", None))
        await self.lifecycle.close(self.call, outcome, self.held, report=True)


class ChatStream:
    """``async with client.stream(...) as stream: async for event in stream: ...``

    Leaving the block early closes the HTTP response. After the events are consumed,
    :attr:`response` holds the assembled :class:`ChatResponse`. A stream that ends before the provider
    said it was finished raises :class:`StreamInterruptedError` after the events already delivered.
    :attr:`trace` holds the routing trace once the stream has ended (also on ``response.trace`` and,
    after a failure, on the error's ``trace``).
    """

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[RoutedEvents]], provider: str,
                 model: str, observer: Observer | None = None) -> None:
        self._opener = opener
        self._cm: AbstractAsyncContextManager[RoutedEvents] | None = None
        self._events: RoutedEvents | None = None
        self._acc = Accumulator(provider, model)
        self._observer = observer
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
        self.response = response if trace is None else attrs.evolve(response, trace=trace)

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
