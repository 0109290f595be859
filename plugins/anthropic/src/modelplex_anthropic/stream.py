"""The Messages API's server-sent events as typed Modelplex stream events.

``message_start`` (id, model, usage so far) -> ``content_block_start`` / ``_delta`` / ``_stop`` for
each block (``text``, ``tool_use``, ``thinking``, ``redacted_thinking``; deltas ``text_delta``,
``input_json_delta``, ``thinking_delta``, ``signature_delta``) -> ``message_delta`` (stop reason,
final usage) -> ``message_stop``. ``ping`` is ignored; an ``error`` event raises the mapped error after
the events already delivered; a stream that ends before ``message_stop`` raises
:class:`~modelplex.errors.StreamInterruptedError`.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from modelplex_openai_compat import SSEDecoder
from modelplex_openai_compat.jsonwire import loads as _loads

from modelplex import (
    Finished,
    ProviderWarning,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex import parse_tool_arguments as parse_arguments
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_anthropic.body import Plan
from modelplex_anthropic.errors import stream_error
from modelplex_anthropic.parse import finish_of, usage_of

if TYPE_CHECKING:
    import httpx
    from modelplex_openai_compat import SSEEvent




@attrs.define
class _Block:
    kind: str  # text, tool, format (the response-format tool), thinking, redacted, other
    id: str = ""
    name: str = ""
    given: Any = None  # what the start gave: a tool's input, a thinking block's signature
    json: list[str] = attrs.field(factory=list)


class StreamState:
    """Folds the server's events into typed events; :attr:`done` after ``message_stop``."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.done = False
        self._blocks: dict[int, _Block] = {}
        self._usage: dict[str, Any] = {}
        self._stop_reason: Any = None

    def _fail(self, message: str, field: str | None = None) -> ResponseParseError:
        return ResponseParseError(message, provider=self.plan.provider, model=self.plan.model,
                                  field=field)

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        try:
            data = _loads(sse.data)
        except ValueError:
            raise self._fail(f"a stream event is not JSON: {sse.data[:200]!r}") from None
        if type(data) is not dict and not isinstance(data, Mapping):
            raise self._fail(f"a stream event is not a JSON object: {sse.data[:200]!r}")
        kind = data.get("type", sse.event)
        if kind == "content_block_delta":  # most events: a piece of text, the short way
            delta, index = data.get("delta"), data.get("index")
            if (type(delta) is dict and delta.get("type") == "text_delta" and type(index) is int
                    and index in self._blocks):
                text = delta.get("text")
                if type(text) is str:
                    return [TextDelta(text=text)] if text else []
        handler = _HANDLERS.get(str(kind))
        return handler(self, data) if handler is not None else []  # ping, and events yet unknown

    # -- the message -----------------------------------------------------------------------------
    def _message_start(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        message = data.get("message")
        message = message if isinstance(message, Mapping) else {}
        usage = message.get("usage")
        if isinstance(usage, Mapping):
            self._usage.update(usage)
        id_, model = message.get("id"), message.get("model")
        return [ResponseStarted(id=id_ if isinstance(id_, str) else None,
                                model=model if isinstance(model, str) else None)]

    def _message_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        if isinstance(delta, Mapping) and delta.get("stop_reason") is not None:
            self._stop_reason = delta["stop_reason"]
        usage = data.get("usage")
        if not isinstance(usage, Mapping):
            return []
        # Cumulative counts: the final output_tokens, and (from newer servers) the input counts.
        self._usage.update({k: v for k, v in usage.items() if v is not None})
        merged = usage_of(self._usage)
        return [UsageReported(usage=merged)] if merged is not None else []

    def _message_stop(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        self.done = True
        reason, raw = finish_of(self.plan, self._stop_reason)
        return [Finished(reason=reason, raw_reason=raw)]

    def _error(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        raise stream_error(self.plan.provider, self.plan.model, data)

    # -- content blocks --------------------------------------------------------------------------
    def _index(self, data: Mapping[str, Any]) -> int:
        index = data.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise self._fail(f"a {data.get('type')} event has no block index", "index")
        return index

    def _block_start(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        index = self._index(data)
        block = data.get("content_block")
        block = block if isinstance(block, Mapping) else {}
        kind = block.get("type")
        if kind == "text":
            self._blocks[index] = _Block("text")
            text = block.get("text")
            return [TextDelta(text=text)] if isinstance(text, str) and text else []
        if kind == "tool_use":
            name = str(block.get("name") or "")
            state = _Block("format" if name == self.plan.format_tool else "tool",
                           id=str(block.get("id") or ""), name=name, given=block.get("input"))
            self._blocks[index] = state
            if state.kind == "format":
                return []
            return [ToolCallStarted(index=index, id=state.id, name=state.name)]
        if kind == "thinking":
            self._blocks[index] = _Block("thinking", given=block.get("signature") or None)
            text = block.get("thinking")
            return [ReasoningDelta(text=text)] if isinstance(text, str) and text else []
        if kind == "redacted_thinking":
            self._blocks[index] = _Block("redacted")
            return [ReasoningDelta(redacted_data=str(block.get("data") or ""))]
        self._blocks[index] = _Block("other")
        return [WarningRaised(warning=ProviderWarning(
            code="ignored-content", field="content",
            message=f"a content block of type {kind!r} is not understood here; it was left out"))]

    def _block_delta(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        index = self._index(data)
        block = self._blocks.get(index)
        if block is None:
            raise self._fail(f"a delta for block {index}, which never started", "index")
        delta = data.get("delta")
        delta = delta if isinstance(delta, Mapping) else {}
        kind = delta.get("type")
        if kind == "text_delta":
            text = str(delta.get("text") or "")
            return [TextDelta(text=text)] if text else []
        if kind == "input_json_delta":
            piece = str(delta.get("partial_json") or "")
            if not piece:
                return []
            block.json.append(piece)
            if block.kind == "format":
                return [TextDelta(text=piece)]
            return [ToolCallDelta(index=index, arguments=piece)] if block.kind == "tool" else []
        if kind == "thinking_delta":
            text = str(delta.get("thinking") or "")
            return [ReasoningDelta(text=text)] if text else []
        if kind == "signature_delta":
            signature = str(delta.get("signature") or "")
            if not signature:
                return []
            block.given = None  # given here: no need to give the one from the start
            return [ReasoningDelta(signature=signature)]
        return []  # citations_delta and deltas yet unknown

    def _block_stop(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        index = self._index(data)
        block = self._blocks.pop(index, None)
        if block is None:
            return []
        if block.kind == "thinking" and block.given:
            return [ReasoningDelta(signature=str(block.given))]
        if block.kind not in ("tool", "format"):
            return []
        if block.json:
            args, raw = parse_arguments("".join(block.json))
        elif isinstance(block.given, Mapping):
            args, raw = dict(block.given), None
        else:
            args, raw = {}, None
        if block.kind == "format":
            return [] if block.json else [TextDelta(text=json.dumps(args, ensure_ascii=False))]
        call = ToolCallPart(id=block.id, name=block.name, arguments=args, raw_arguments=raw)
        return [ToolCallEnded(index=index, call=call)]


_HANDLERS = {
    "message_start": StreamState._message_start,
    "message_delta": StreamState._message_delta,
    "message_stop": StreamState._message_stop,
    "content_block_start": StreamState._block_start,
    "content_block_delta": StreamState._block_delta,
    "content_block_stop": StreamState._block_stop,
    "error": StreamState._error,
}


async def stream_events(plan: Plan, response: httpx.Response,
                        warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    """The typed events of a streaming reply, ending at ``message_stop``."""
    import httpx

    for warning in warnings:
        yield WarningRaised(warning=warning)
    decoder, state = SSEDecoder(), StreamState(plan)
    feed, parse = decoder.feed, state.event
    try:
        async for chunk in response.aiter_bytes():
            for sse in feed(chunk):
                for event in parse(sse):
                    yield event
                if state.done:
                    return
    except httpx.TransportError as exc:
        raise StreamInterruptedError(f"the connection broke mid-stream ({type(exc).__name__})",
                                     provider=plan.provider, model=plan.model) from exc
    for sse in decoder.close():
        for event in state.event(sse):
            yield event
        if state.done:
            return
    why = "in the middle of an event" if decoder.pending else "before message_stop"
    raise StreamInterruptedError(f"the stream ended {why}", provider=plan.provider, model=plan.model)
