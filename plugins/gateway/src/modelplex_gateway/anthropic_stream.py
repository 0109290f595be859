"""Modelplex stream events written as Anthropic's Messages stream, with its grammar exact.

:class:`MessageStream` turns the typed events of any provider's stream into the server-sent events a
Claude client expects::

    message_start  ping  (content_block_start  content_block_delta*  content_block_stop)*
    message_delta  message_stop

- one ``message_start``, first, with the input usage: the upstream's count when it reported one before its
  first content (Anthropic's; the caller passes it), else the request's estimated count (see
  :mod:`modelplex_gateway.anthropic_api`); never a zero made up. ``message_delta`` carries the final usage,
  input included, which the Anthropic SDK takes over the start's;
- one block open at a time, indexes 0, 1, 2...; each block gets only deltas of its own type: ``text_delta``
  in a ``text`` block, ``thinking_delta`` then at most one ``signature_delta`` in a ``thinking`` block,
  ``input_json_delta`` in a ``tool_use`` block; a ``redacted_thinking`` block has none. Reasoning that
  carries another provider's artefacts (OpenAI's reasoning item id and encrypted content) goes out as a
  thinking block whose signature packs them (:func:`~modelplex_gateway.anthropic_messages.pack_signature`),
  read back when the client sends the block again; a thought signature on a tool call (Gemini's) follows
  the call's block as an empty thinking block whose signature names the call;
- parallel tool calls whose argument pieces interleave (OpenAI-format streams send them by ``index``)
  are written one block after another: the pieces of a call not yet open are held and written when its
  block opens. A call whose arguments came whole (Gemini, Ollama) gets them as one ``input_json_delta``;
- a failure after the first event is one ``error`` event, and nothing after it.
"""

from __future__ import annotations

import json
from typing import Any

from modelplex import (
    Finished,
    Origin,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from modelplex_gateway.anthropic_messages import pack_call_signature, pack_signature, stop_reason, usage_body
from modelplex_gateway.errors import GatewayError

PING = b'event: ping\ndata: {"type":"ping"}\n\n'


def sse(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event named ``name``."""
    return b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(data, separators=(",", ":"),
                                                                    ensure_ascii=False).encode())


def _arguments(call: ToolCallPart) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(call.arguments, separators=(",", ":"), ensure_ascii=False)


class _Call:
    """A tool call as it streams: the pieces held until its block opens, and whether it has ended."""

    __slots__ = ("ended", "held", "id", "name", "sent")

    def __init__(self, id: str, name: str) -> None:
        self.id, self.name = id, name
        self.held: list[str] = []
        self.sent = False
        self.ended: ToolCallPart | None = None


class MessageStream:
    """The Anthropic events of one reply; feed it with :meth:`start`, :meth:`event`, :meth:`finish`
    (or :meth:`error`), each returning the bytes to send. ``origin`` is the model that answers, as it was
    asked for: what packed signatures name as their maker."""

    def __init__(self, *, message_id: str, model: str, origin: Origin | None = None) -> None:
        self.message_id, self.model, self.origin = message_id, model, origin
        self._index = 0
        self._open: str | None = None  # "text", "thinking", "tool"
        self._open_call: int | None = None  # the upstream index of the open tool_use block
        self._signed = False  # the open thinking block has had its signature
        self._calls: dict[int, _Call] = {}
        self._waiting: list[int] = []  # calls started while another's block was open, in order
        self._called = False
        self._finish: Finished | None = None
        self._usage: Usage | None = None
        self._out: list[bytes] = []

    # -- the message -------------------------------------------------------------------------------------
    def start(self, usage: Usage | None, input_tokens: int) -> bytes:
        """``message_start`` and a ``ping``. ``usage`` is the upstream's early count, if it sent one;
        else ``input_tokens`` (the estimate) stands for the input."""
        counted = usage_body(usage, input_tokens=input_tokens)
        message: dict[str, Any] = {"id": self.message_id, "type": "message", "role": "assistant",
                                   "model": self.model, "content": [], "stop_reason": None,
                                   "stop_sequence": None, "usage": counted}
        return sse("message_start", {"type": "message_start", "message": message}) + PING

    def event(self, event: StreamEvent) -> bytes:
        """The bytes for one upstream event (often none)."""
        kind = type(event)
        if kind is TextDelta:
            assert isinstance(event, TextDelta)
            if event.text:
                if self._open != "text":
                    self._begin({"type": "text", "text": ""}, "text")
                self._delta({"type": "text_delta", "text": event.text})
        elif kind is ReasoningDelta:
            assert isinstance(event, ReasoningDelta)
            self._reasoning(event)
        elif kind is ToolCallStarted:
            assert isinstance(event, ToolCallStarted)
            self._started(event.index, _Call(event.id, event.name))
        elif kind is ToolCallDelta:
            assert isinstance(event, ToolCallDelta)
            self._piece(event.index, event.arguments)
        elif kind is ToolCallEnded:
            assert isinstance(event, ToolCallEnded)
            self._ended(event.index, event.call)
        elif kind is UsageReported:
            assert isinstance(event, UsageReported)
            self._usage = event.usage
        elif kind is Finished:
            assert isinstance(event, Finished)
            self._finish = event
        elif kind is ResponseStarted:
            pass  # the message's id and model went out with message_start
        return self._flush()

    def finish(self, usage: Usage | None) -> bytes:
        """The last blocks closed, ``message_delta`` with the stop reason and ``usage`` (the final count;
        else the last one the upstream reported), and ``message_stop``."""
        self._close()
        finish = self._finish
        reason = stop_reason(finish.reason, finish.raw_reason, self._called) if finish else "end_turn"
        final = usage if usage is not None else self._usage
        counted = usage_body(final) if final is not None else {"output_tokens": 0}  # nothing counted
        self._out.append(sse("message_delta", {"type": "message_delta",
                                               "delta": {"stop_reason": reason, "stop_sequence": None},
                                               "usage": counted}))
        self._out.append(sse("message_stop", {"type": "message_stop"}))
        return self._flush()

    @staticmethod
    def error(error: GatewayError) -> bytes:
        """A failure after the stream began: Anthropic's ``error`` event."""
        return sse("error", error.anthropic_body())

    # -- blocks ------------------------------------------------------------------------------------------
    def _flush(self) -> bytes:
        if not self._out:
            return b""
        out = b"".join(self._out)
        self._out.clear()
        return out

    def _begin(self, block: dict[str, Any], kind: str) -> None:
        self._close()
        self._start(block, kind)

    def _start(self, block: dict[str, Any], kind: str) -> None:
        """Open ``block`` (no block is open)."""
        self._out.append(sse("content_block_start", {"type": "content_block_start", "index": self._index,
                                                     "content_block": block}))
        self._open = kind

    def _delta(self, delta: dict[str, Any]) -> None:
        self._out.append(sse("content_block_delta", {"type": "content_block_delta", "index": self._index,
                                                     "delta": delta}))

    def _stop(self) -> None:
        self._out.append(sse("content_block_stop", {"type": "content_block_stop", "index": self._index}))
        self._index += 1
        self._open = None
        self._open_call = None
        self._signed = False

    def _close(self) -> None:
        """Close the open block, then write every tool call still waiting, one block each."""
        if self._open == "tool":
            self._end_open()
        elif self._open is not None:
            self._stop()
        while self._waiting:
            self._open_next()
            self._end_open()

    def _reasoning(self, event: ReasoningDelta) -> None:
        if event.redacted_data is not None and event.signature is None:
            # Anthropic's redacted thinking: a block of its own, whole.
            self._begin({"type": "redacted_thinking", "data": event.redacted_data}, "redacted")
            self._stop()
            return
        signature = pack_signature(event.signature, event.redacted_data, self.origin)
        if event.text and (self._open != "thinking" or self._signed):
            self._begin({"type": "thinking", "thinking": "", "signature": ""}, "thinking")
        if event.text:
            self._delta({"type": "thinking_delta", "thinking": event.text})
        if signature:
            if self._open != "thinking" or self._signed:  # a signature alone: a block of its own
                self._begin({"type": "thinking", "thinking": "", "signature": ""}, "thinking")
            self._delta({"type": "signature_delta", "signature": signature})
            self._signed = True

    # -- tool calls --------------------------------------------------------------------------------------
    def _started(self, index: int, call: _Call) -> None:
        self._calls[index] = call
        self._called = True
        if self._open == "tool":
            self._waiting.append(index)
            return
        self._begin({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}, "tool")
        self._open_call = index

    def _piece(self, index: int, piece: str) -> None:
        call = self._calls.get(index)
        if call is None or not piece:
            return
        if self._open == "tool" and self._open_call == index:
            call.sent = True
            self._delta({"type": "input_json_delta", "partial_json": piece})
        elif call.ended is None:
            call.held.append(piece)

    def _ended(self, index: int, part: ToolCallPart) -> None:
        call = self._calls.get(index)
        if call is None:  # ended without a start: whole at once
            self._started(index, _Call(part.id, part.name))
            call = self._calls[index]
        call.ended = part
        if self._open == "tool" and self._open_call == index:
            self._end_open()
            while self._waiting and self._calls[self._waiting[0]].ended is not None:
                self._open_next()
                self._end_open()
            if self._waiting:
                self._open_next()

    def _open_next(self) -> None:
        index = self._waiting.pop(0)
        call = self._calls[index]
        self._start({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}, "tool")
        self._open_call = index
        if call.held:
            call.sent = True
            self._delta({"type": "input_json_delta", "partial_json": "".join(call.held)})
            call.held.clear()

    def _end_open(self) -> None:
        index = self._open_call
        call = self._calls[index] if index is not None else None
        if call is not None and not call.sent and call.ended is not None:
            arguments = _arguments(call.ended)
            if arguments:
                self._delta({"type": "input_json_delta", "partial_json": arguments})
        self._stop()
        if call is not None and call.ended is not None and call.ended.signature is not None:
            # A thought signature on the call (Gemini's): an empty thinking block right after it.
            self._start({"type": "thinking", "thinking": "", "signature": ""}, "thinking")
            self._delta({"type": "signature_delta",
                         "signature": pack_call_signature(call.ended.id, call.ended.signature,
                                                          call.ended.origin or self.origin)})
            self._stop()
