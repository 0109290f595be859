"""Streams: an async context manager over typed events that assembles the final response as it goes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

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
    """The events of a stream as the client's router hands them over: ``provider`` and ``model`` are the
    model that answers (a chain's choice), ``trace`` the routing trace once the stream has ended.

    :meth:`observe` lets :class:`ChatStream` see each event as it passes and hear of the end, so that
    it hands out this iterator itself rather than wrapping it in a generator of its own: every layer
    of async generator costs about a microsecond an event (``docs/benchmarks.md``).
    """

    provider: str
    model: str
    trace: RoutingTrace | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError

    def observe(self, each: Callable[[StreamEvent], None], end: Callable[[], None]) -> None:
        """Call ``each(event)`` before each event is handed out, and ``end()`` once the stream has
        ended as it should (after its last event; not on a failure, which is raised instead)."""
        raise NotImplementedError


class ChatStream:
    """``async with client.stream(...) as stream: async for event in stream: ...``

    Leaving the block early closes the HTTP response. After the events are consumed,
    :attr:`response` holds the assembled :class:`ChatResponse`. A stream that ends before the provider
    said it was finished raises :class:`StreamInterruptedError` after the events already delivered.
    :attr:`trace` holds the routing trace once the stream has ended (also on ``response.trace`` and,
    after a failure, on the error's ``trace``).
    """

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[AsyncIterable[StreamEvent]]],
                 provider: str, model: str, wrap: Callable[[BaseException], ModelplexError]) -> None:
        self._opener = opener
        self._cm: AbstractAsyncContextManager[AsyncIterable[StreamEvent]] | None = None
        self._events: AsyncIterable[StreamEvent] | None = None
        self._acc = Accumulator(provider, model)
        self._wrap = wrap
        self._done = False
        self._observing = False
        self.response: ChatResponse | None = None

    async def __aenter__(self) -> ChatStream:
        try:
            self._cm = self._opener()
            self._events = await self._cm.__aenter__()
        except ModelplexError:
            raise
        except Exception as exc:
            raise self._wrap(exc) from exc
        if isinstance(self._events, RoutedEvents):  # a chain chose its model only now
            self._acc = Accumulator(self._events.provider, self._events.model)
        return self

    @property
    def trace(self) -> RoutingTrace | None:
        """How the stream was routed: set once it has ended (or failed, or was left early)."""
        events = self._events
        return events.trace if isinstance(events, RoutedEvents) else None

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._cm is not None:
            cm, self._cm = self._cm, None
            await cm.__aexit__(et, ev, tb)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        events = self._events
        if isinstance(events, RoutedEvents) and not self._done:
            if not self._observing:  # the router's own iterator, seen through, not wrapped
                self._observing = True
                events.observe(self._acc.add, self._ended)
            return events.__aiter__()
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        if self._events is None:
            raise RuntimeError("use the stream inside 'async with client.stream(...) as stream'")
        if self._done:
            return
        try:
            async for event in self._events:
                self._acc.add(event)
                yield event
        except ModelplexError:
            raise
        except Exception as exc:
            raise self._wrap(exc) from exc
        self._ended()

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
