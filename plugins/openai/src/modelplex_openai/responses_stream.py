"""Responses API stream events (``response.output_text.delta``, ...) to typed events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from modelplex_openai_compat import Call, SSEEvent, estimate, stream_error

from modelplex import (
    Finished,
    Origin,
    ProviderWarning,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex.toolkit import interrupted, is_object, sse_stream, text_delta
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_openai.responses_parse import (
    finish_of,
    function_call,
    message_text,
    reasoning_part,
)
from modelplex_openai.responses_usage import read_responses_usage

if TYPE_CHECKING:
    import httpx


@attrs.define
class _Item:
    kind: str
    index: int = -1  # the tool-call index, for function calls
    deltas: bool = False  # text or reasoning arrived as deltas


class ResponsesStream:
    """What a Responses stream has said so far; :meth:`event` turns one SSE event into events.

    What does not follow the format is a :class:`~modelplex.errors.ResponseParseError` naming its
    JSON path in the event (``item.name: expected string, got int``).
    """

    def __init__(self, call: Call) -> None:
        self.call = call
        self.read = call.read
        self.started = False
        self.done = False
        self._items: dict[int, _Item] = {}
        self._calls = 0
        self._chars = 0
        self._warned: set[str] = set()

    def _item(self, data: Mapping[str, Any], kind: str = "") -> _Item:
        index = self.read.optional_integer(data, "output_index")
        key = index if index is not None else -1
        if key not in self._items:
            self._items[key] = _Item(kind=kind)
        return self._items[key]

    def _start_call(self, item: _Item, wire: Mapping[str, Any]) -> list[StreamEvent]:
        item.kind, item.index = "function_call", self._calls
        self._calls += 1
        call_id = self.read.optional_string(wire, "call_id", at=("item",))
        name = self.read.optional_string(wire, "name", at=("item",))
        return [ToolCallStarted(index=item.index, id=call_id or f"call_{item.index}", name=name or "")]

    def _delta(self, data: Mapping[str, Any]) -> str:
        return self.read.optional_string(data, "delta") or ""

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """Nothing more once ``response.completed`` came; else the error for a stream cut off."""
        if broken is not None or not self.done:
            raise interrupted(provider=self.call.provider, model=self.call.model, broken=broken,
                              pending=pending, before="response.completed")
        return []

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        """The events of one SSE event (none for ``[DONE]`` and for types not read here)."""
        if sse.data.strip() == "[DONE]":
            return []
        data = self.read.json(sse.data, "a stream event")
        if not is_object(data):
            raise self.read.error(f"a stream event must be an object, got {type(data).__name__}")
        kind = self.read.optional_string(data, "type") or sse.event
        if kind == "error" or sse.event == "error":
            # {"type": "error", "code": ..., "message": ...}, or the error nested under "error".
            raise stream_error(self.call.provider, self.call.model,
                               {"error": data.get("error", data)}, self.call.stages.map_error)
        handler = _HANDLERS.get(kind)
        return handler(self, data) if handler is not None else []

    # -- the events, by type ---------------------------------------------------------------------
    def _created(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        if self.started:
            return []
        self.started = True
        response = self.read.optional_obj(data, "response") or {}
        return [ResponseStarted(id=self.read.optional_string(response, "id", at=("response",)),
                                model=self.read.optional_string(response, "model", at=("response",)))]

    def _output_item_added(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        wire = self.read.obj(data, "item")
        kind = self.read.string(wire, "type", at=("item",))
        item = self._item(data, kind)
        return self._start_call(item, wire) if kind == "function_call" else []

    def _output_text_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        delta = self._delta(data)
        self._item(data, "message").deltas = True
        self._chars += len(delta)
        return [text_delta(delta)] if delta else []

    def _refusal_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        out = self._output_text_delta(data)
        if "refusal" not in self._warned:
            self._warned.add("refusal")
            out.insert(0, WarningRaised(warning=ProviderWarning(
                code="refusal", field="refusal", message="the model refused; its explanation is "
                                                         "the text")))
        return out

    def _reasoning_summary_text_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        delta = self._delta(data)
        self._item(data, "reasoning").deltas = True
        return [ReasoningDelta(text=delta)] if delta else []

    def _reasoning_summary_part_added(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        # A whole response joins summary parts with a blank line; so does the stream.
        index = self.read.optional_integer(data, "summary_index")
        return [ReasoningDelta(text="\n\n")] if index is not None and index > 0 else []

    def _function_call_arguments_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        item = self._item(data)
        out: list[StreamEvent] = []
        if item.kind != "function_call":
            out += self._start_call(item, {})
        delta = self._delta(data)
        self._chars += len(delta)
        return [*out, ToolCallDelta(index=item.index, arguments=delta)] if delta else out

    def _output_item_done(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        wire = self.read.obj(data, "item")
        kind = self.read.string(wire, "type", at=("item",))
        item = self._item(data, kind)
        out: list[StreamEvent] = []
        if kind == "function_call":
            call = function_call(self.call, wire, ("item",))
            if item.index < 0:
                out += self._start_call(item, wire)
            warning = unparsed_arguments(call, "output")
            if warning is not None:
                out.append(WarningRaised(warning=warning))
            out.append(ToolCallEnded(index=item.index, call=call))
        elif kind == "reasoning":
            part = reasoning_part(wire, Origin(provider=self.call.provider, model=self.call.model),
                                  self.read, ("item",))
            text = "" if item.deltas else part.text
            out.append(ReasoningDelta(text=text, signature=part.signature,
                                      redacted_data=part.redacted_data))
        elif kind == "message" and not item.deltas:
            text = "".join(p.text for p in message_text(self.call, wire, ("item",)))
            out += [text_delta(text)] if text else []
        return out

    def _completed(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        response = self.read.optional_obj(data, "response") or {}
        self.done = True
        counted = read_responses_usage(response.get("usage"))
        usage, warnings = counted or (estimate(self.call.request.messages, self._chars), [])
        reason, raw = finish_of(response, self._calls > 0, self.read, ("response",))
        return [*(WarningRaised(warning=w) for w in warnings), UsageReported(usage=usage),
                Finished(reason=reason, raw_reason=raw)]

    def _failed(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        response = self.read.optional_obj(data, "response") or {}
        raise stream_error(self.call.provider, self.call.model,
                           {"error": response.get("error") or {"message": "the response failed"}},
                           self.call.stages.map_error)


_HANDLERS: dict[str, Any] = {
    "response.created": ResponsesStream._created,
    "response.in_progress": ResponsesStream._created,
    "response.output_item.added": ResponsesStream._output_item_added,
    "response.output_text.delta": ResponsesStream._output_text_delta,
    "response.refusal.delta": ResponsesStream._refusal_delta,
    "response.reasoning_summary_text.delta": ResponsesStream._reasoning_summary_text_delta,
    "response.reasoning_text.delta": ResponsesStream._reasoning_summary_text_delta,
    "response.reasoning_summary_part.added": ResponsesStream._reasoning_summary_part_added,
    "response.function_call_arguments.delta": ResponsesStream._function_call_arguments_delta,
    "response.output_item.done": ResponsesStream._output_item_done,
    "response.completed": ResponsesStream._completed,
    "response.incomplete": ResponsesStream._completed,
    "response.failed": ResponsesStream._failed,
}


def responses_events(call: Call, response: httpx.Response,
                     warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    """The typed events of a streaming ``/responses`` reply; :class:`StreamInterruptedError` if it
    ends before ``response.completed`` (or ``response.incomplete``): the toolkit's read loop, with
    :class:`ResponsesStream` as its handler."""
    first = [WarningRaised(warning=w) for w in warnings]
    return sse_stream(response, ResponsesStream(call), first=first)
