"""The Messages API's server-sent events as typed Modelplex stream events.

``message_start`` (id, model, usage so far) -> ``content_block_start`` / ``_delta`` / ``_stop`` for
each block (``text``, ``tool_use``, ``thinking``, ``redacted_thinking``; deltas ``text_delta``,
``input_json_delta``, ``thinking_delta``, ``signature_delta``) -> ``message_delta`` (stop reason,
final usage) -> ``message_stop``. ``ping`` is ignored; an ``error`` event raises the mapped error after
the events already delivered; a stream that ends before ``message_stop`` raises
:class:`~modelplex.errors.StreamInterruptedError`. An event that does not follow the format raises a
:class:`~modelplex.errors.ResponseParseError` naming the JSON path in the event
(``content_block.name: expected string, got int``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex import (
    Finished,
    ProviderWarning,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex import parse_tool_arguments as parse_arguments
from modelplex.toolkit import Reader, SSEEvent, interrupted, loads, sse_stream, text_delta
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_anthropic.body import Plan
from modelplex_anthropic.errors import stream_error
from modelplex_anthropic.parse import finish_of
from modelplex_anthropic.usage import read_usage

if TYPE_CHECKING:
    import httpx


@attrs.define
class _Block:
    kind: str  # text, tool, format (the response-format tool), thinking, redacted, other
    id: str = ""
    name: str = ""
    given: Any = None  # what the start gave: a tool's input, a thinking block's signature
    json: list[str] = attrs.field(factory=list)


class StreamState:
    """Folds the server's events into typed events: the :class:`~modelplex.toolkit.SSEHandler` of
    :func:`~modelplex.toolkit.sse_stream`, :attr:`done` after ``message_stop``."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.done = False
        self._read = Reader(provider=plan.provider, model=plan.model)
        self._blocks: dict[int, _Block] = {}
        self._usage: dict[str, Any] = {}
        self._stop_reason: str | None = None

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        """The typed events of one server-sent event."""
        try:
            data = loads(sse.data)
        except ValueError:
            raise self._read.error(f"a stream event is not JSON: {sse.data[:200]!r}") from None
        if type(data) is not dict:
            data = self._read.obj(data)
        kind = data.get("type")
        if type(kind) is not str:
            kind = self._read.optional_string(data, "type") or sse.event
        if kind == "content_block_delta":  # most events: a piece of text, the short way
            delta, index = data.get("delta"), data.get("index")
            if (type(delta) is dict and delta.get("type") == "text_delta" and type(index) is int
                    and index in self._blocks):
                text = delta.get("text")
                if type(text) is str:
                    return [text_delta(text)] if text else []
        handler = _HANDLERS.get(kind)
        return handler(self, data) if handler is not None else []  # ping, and events yet unknown

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """Nothing more after ``message_stop``; before it, the stream was cut off."""
        if self.done:
            return []
        raise interrupted(provider=self.plan.provider, model=self.plan.model, broken=broken,
                          pending=pending, before="message_stop") from broken

    # -- the message -----------------------------------------------------------------------------
    def _message_start(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        read = self._read
        message = read.obj(data, "message")
        usage = read.optional_obj(message, "usage", at=("message",))
        started: list[StreamEvent] = [ResponseStarted(
            id=read.optional_string(message, "id", at=("message",)),
            model=read.optional_string(message, "model", at=("message",)))]
        if usage is not None:
            self._usage.update(usage)
            # The input is counted before the first content: reported now (a gateway's message_start
            # carries it); message_delta's final count replaces it, its warnings said then.
            counted = read_usage(self._usage) if "input_tokens" in usage else None
            if counted is not None:
                started.append(UsageReported(usage=counted[0]))
        return started

    def _message_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        read = self._read
        reason = read.optional_string(data, "delta", "stop_reason")
        if reason is not None:
            self._stop_reason = reason
        usage = read.optional_obj(data, "usage")
        if usage is None:
            return []
        # Cumulative counts: the final output_tokens, and (from newer servers) the input counts.
        self._usage.update({k: v for k, v in usage.items() if v is not None})
        counted = read_usage(self._usage)
        if counted is None:
            return []
        merged, warnings = counted
        return [*(WarningRaised(warning=w) for w in warnings), UsageReported(usage=merged)]

    def _message_stop(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        self.done = True
        reason, raw = finish_of(self.plan, self._stop_reason)
        return [Finished(reason=reason, raw_reason=raw)]

    def _error(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        raise stream_error(self.plan.provider, self.plan.model, data)

    # -- content blocks --------------------------------------------------------------------------
    def _block_start(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        read, at = self._read, ("content_block",)
        index = read.integer(data, "index")
        block = read.obj(data, "content_block")
        kind = read.string(block, "type", at=at)
        if kind == "text":
            self._blocks[index] = _Block("text")
            text = read.optional_string(block, "text", at=at)
            return [text_delta(text)] if text else []
        if kind == "tool_use":
            name = read.string(block, "name", at=at)
            state = _Block("format" if name == self.plan.format_tool else "tool",
                           id=read.string(block, "id", at=at), name=name, given=block.get("input"))
            self._blocks[index] = state
            if state.kind == "format":
                return []
            return [ToolCallStarted(index=index, id=state.id, name=state.name)]
        if kind == "thinking":
            self._blocks[index] = _Block("thinking",
                                         given=read.optional_string(block, "signature", at=at) or None)
            text = read.optional_string(block, "thinking", at=at)
            return [ReasoningDelta(text=text)] if text else []
        if kind == "redacted_thinking":
            self._blocks[index] = _Block("redacted")
            return [ReasoningDelta(redacted_data=read.string(block, "data", at=at))]
        self._blocks[index] = _Block("other")
        return [WarningRaised(warning=ProviderWarning(
            code="ignored-content", field="content",
            message=f"a content block of type {kind!r} is not understood here; it was left out"))]

    def _block_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        read, at = self._read, ("delta",)
        index = read.integer(data, "index")
        block = self._blocks.get(index)
        if block is None:
            raise read.error(f"a delta for block {index}, which never started", "index")
        delta = read.obj(data, "delta")
        kind = read.string(delta, "type", at=at)
        if kind == "text_delta":
            text = read.optional_string(delta, "text", at=at)
            return [text_delta(text)] if text else []
        if kind == "input_json_delta":
            piece = read.optional_string(delta, "partial_json", at=at)
            if not piece:
                return []
            block.json.append(piece)
            if block.kind == "format":
                return [text_delta(piece)]
            return [ToolCallDelta(index=index, arguments=piece)] if block.kind == "tool" else []
        if kind == "thinking_delta":
            text = read.optional_string(delta, "thinking", at=at)
            return [ReasoningDelta(text=text)] if text else []
        if kind == "signature_delta":
            signature = read.optional_string(delta, "signature", at=at)
            if not signature:
                return []
            block.given = None  # given here: no need to give the one from the start
            return [ReasoningDelta(signature=signature)]
        return []  # citations_delta and deltas yet unknown

    def _block_stop(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        index = self._read.integer(data, "index")
        block = self._blocks.pop(index, None)
        if block is None:
            return []
        if block.kind == "thinking" and block.given:
            return [ReasoningDelta(signature=str(block.given))]
        if block.kind not in ("tool", "format"):
            return []
        if block.json:
            # The wire text itself: "[null]" stays "[null]".
            args, raw = parse_arguments("".join(block.json))
        elif isinstance(block.given, Mapping):
            args, raw = dict(block.given), None
        elif block.given is not None:  # an input that is not an object, given whole at the start
            args, raw = {}, json.dumps(block.given, ensure_ascii=False)
        else:
            args, raw = {}, None
        if block.kind == "format":
            return [] if block.json else [text_delta(json.dumps(args, ensure_ascii=False))]
        call = ToolCallPart(id=block.id, name=block.name, arguments=args, raw_arguments=raw)
        warning = unparsed_arguments(call, "content")
        return [*([WarningRaised(warning=warning)] if warning is not None else []),
                ToolCallEnded(index=index, call=call)]


_HANDLERS = {
    "message_start": StreamState._message_start,
    "message_delta": StreamState._message_delta,
    "message_stop": StreamState._message_stop,
    "content_block_start": StreamState._block_start,
    "content_block_delta": StreamState._block_delta,
    "content_block_stop": StreamState._block_stop,
    "error": StreamState._error,
}


def stream_events(plan: Plan, response: httpx.Response,
                  warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    """The typed events of a streaming reply, ending at ``message_stop``."""
    return sse_stream(response, StreamState(plan), first=[WarningRaised(warning=w) for w in warnings])
