"""A streamed reply from Cohere's ``/v2/chat`` (Server-Sent Events) as Modelplex's stream events.

Each event's JSON names its ``type``: ``message-start`` (the id), ``content-start`` / ``content-delta``
/ ``content-end`` (a text or ``thinking`` item in pieces, ``delta.message.content.text`` or
``.thinking``), ``tool-plan-delta`` (the plan written before tool calls), ``tool-call-start`` (a call's
id and name, by ``index``) / ``tool-call-delta`` (pieces of its arguments) / ``tool-call-end``,
``citation-start`` (one whole citation) / ``citation-end``, and ``message-end`` with
``delta.finish_reason`` and ``delta.usage``; then ``data: [DONE]``. A stream that stops before
``message-end`` was cut off: an error after the events already delivered. Event types Cohere adds
later are skipped.
"""

from __future__ import annotations

from typing import Any

from modelplex import (
    CitationAdded,
    Finished,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex.toolkit import Reader, SSEEvent, interrupted, text_delta, unparsed_arguments
from modelplex_cohere.citations import read_citation
from modelplex_cohere.tools import ToolCodec
from modelplex_cohere.usage import finish_reason, read_usage

_MESSAGE = ("delta", "message")


class Events:
    """The :class:`modelplex.toolkit.SSEHandler` of one streamed reply."""

    def __init__(self, *, provider: str, model: str, codec: ToolCodec) -> None:
        self.read = Reader(provider=provider, model=model)
        self.codec = codec
        self.done = False
        # index -> (id, name, argument fragments) of each tool call begun and not yet ended
        self._calls: dict[int, tuple[str, str, list[str]]] = {}

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        """The typed events of one Cohere event."""
        if sse.data == "[DONE]":  # after message-end: the end of the SSE stream itself
            return []
        read = self.read
        data = read.obj(read.json(sse.data, what="a stream event"))
        kind = read.string(data, "type")
        if kind == "content-delta":  # the most frequent first
            content = read.obj(data, *_MESSAGE, "content")
            text = read.optional_string(content, "text", at=(*_MESSAGE, "content"))
            if text is not None:
                return [text_delta(text)] if text else []
            thinking = read.optional_string(content, "thinking", at=(*_MESSAGE, "content"))
            return [ReasoningDelta(text=thinking)] if thinking else []
        if kind == "tool-call-delta":
            index = read.integer(data, "index")
            fragment = read.optional_string(data, *_MESSAGE, "tool_calls", "function", "arguments") or ""
            call = self._calls.get(index)
            if call is None:
                raise read.error(f"a delta for tool call {index}, which never started", "index")
            if not fragment:
                return []
            call[2].append(fragment)
            return [ToolCallDelta(index=index, arguments=fragment)]
        if kind == "tool-plan-delta":
            plan = read.string(data, *_MESSAGE, "tool_plan")
            return [ReasoningDelta(text=plan)] if plan else []
        if kind == "message-start":
            return [ResponseStarted(id=read.optional_string(data, "id"))]
        if kind == "content-start":
            content = read.obj(data, *_MESSAGE, "content")
            text = read.optional_string(content, "text", at=(*_MESSAGE, "content"))
            return [text_delta(text)] if text else []
        if kind == "tool-call-start":
            return self._start_call(data)
        if kind == "tool-call-end":
            return self._end_call(read.integer(data, "index"))
        if kind == "citation-start":
            at = (*_MESSAGE, "citations")
            return [CitationAdded(citation=read_citation(read, read.obj(data, *at), at))]
        if kind == "message-end":
            return self._message_end(data)
        return []  # content-end, citation-end, debug and event types added later

    def _start_call(self, data: Any) -> list[StreamEvent]:
        read = self.read
        index = read.integer(data, "index")
        at = (*_MESSAGE, "tool_calls")
        wire = read.obj(data, *at)
        call_id = read.string(wire, "id", at=at)
        name = read.string(wire, "function", "name", at=at)
        fragment = read.optional_string(wire, "function", "arguments", at=at) or ""
        self._calls[index] = (call_id, name, [fragment] if fragment else [])
        out: list[StreamEvent] = [ToolCallStarted(index=index, id=call_id, name=name)]
        if fragment:
            out.append(ToolCallDelta(index=index, arguments=fragment))
        return out

    def _end_call(self, index: int) -> list[StreamEvent]:
        started = self._calls.pop(index, None)
        if started is None:
            raise self.read.error(f"the end of tool call {index}, which never started", "index")
        call_id, name, fragments = started
        call = self.codec.decode_tool_call(
            {"id": call_id, "function": {"name": name, "arguments": "".join(fragments)}})
        out: list[StreamEvent] = [ToolCallEnded(index=index, call=call)]
        unparsed = unparsed_arguments(call)
        if unparsed is not None:
            out.append(WarningRaised(warning=unparsed))
        return out

    def _message_end(self, data: Any) -> list[StreamEvent]:
        read = self.read
        out: list[StreamEvent] = []
        for index in sorted(self._calls):  # calls whose end Cohere never marked
            out += self._end_call(index)
        raw = read.optional_string(data, "delta", "finish_reason")
        usage = read.optional_obj(data, "delta", "usage")
        if usage is not None:
            out.append(UsageReported(usage=read_usage(read, usage, ("delta", "usage"))))
        self.done = True
        out.append(Finished(reason=finish_reason(raw), raw_reason=raw))
        return out

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """Nothing more after ``message-end``; before it, the stream was cut off."""
        if self.done:
            return []
        raise interrupted(provider=self.read.provider, model=self.read.model, broken=broken,
                          pending=pending, before="message-end")
