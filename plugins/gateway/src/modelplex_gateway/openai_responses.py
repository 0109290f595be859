"""Responses API replies: a :class:`~modelplex.ChatResponse` as a ``response`` object, and a stream as the
Responses API's events (the grammar of OpenAI's own streams, see the recorded fixtures of
``modelplex-openai``): ``response.created``, ``response.in_progress``, then per output item
``response.output_item.added``, its deltas (``response.output_text.delta`` within a
``response.content_part.added``/``.done`` pair, ``response.function_call_arguments.delta``,
``response.reasoning_summary_text.delta``), their ``.done`` events and ``response.output_item.done``,
and finally ``response.completed`` (``response.incomplete`` when the output was cut at its token limit).
A failure mid-stream is an ``error`` event followed by ``response.failed``. Every event carries its
``sequence_number``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from modelplex import (
    Finished,
    FinishReason,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
)
from modelplex_gateway.errors import GatewayError
from modelplex_gateway.sse import error_json, sse

if TYPE_CHECKING:
    from modelplex import ChatResponse, ChatStream, StreamEvent, Usage


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def usage(u: Usage | None) -> dict[str, Any] | None:
    """The Responses API's usage object."""
    if u is None:
        return None
    return {"input_tokens": u.total_input, "input_tokens_details": {"cached_tokens": u.cache_read},
            "output_tokens": u.total_output, "output_tokens_details": {"reasoning_tokens": u.reasoning},
            "total_tokens": u.total}


def _arguments(call: Any) -> str:
    raw: str | None = call.raw_arguments
    return raw if raw is not None else json.dumps(dict(call.arguments), separators=(",", ":"))


def _message(text: str, item_id: str | None = None) -> dict[str, Any]:
    return {"id": item_id or _id("msg"), "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _reasoning(text: str, item_id: str | None = None) -> dict[str, Any]:
    return {"id": item_id or _id("rs"), "type": "reasoning",
            "summary": [{"type": "summary_text", "text": text}]}


def _function_call(call_id: str, name: str, arguments: str, item_id: str | None = None) -> dict[str, Any]:
    return {"id": item_id or _id("fc"), "type": "function_call", "status": "completed", "call_id": call_id,
            "name": name, "arguments": arguments}


class Envelope:
    """The ``response`` object's fields that do not change while it is built."""

    def __init__(self, model: str, request: dict[str, Any]) -> None:
        self.id = _id("resp")
        self.created_at = int(time.time())
        self.model = model
        self.request = request

    def body(self, status: str, output: list[dict[str, Any]], usage_: dict[str, Any] | None,
             error: dict[str, Any] | None = None, incomplete: str | None = None) -> dict[str, Any]:
        """The ``response`` object in state ``status``."""
        r = self.request
        return {"id": self.id, "object": "response", "created_at": self.created_at, "status": status,
                "error": error, "incomplete_details": {"reason": incomplete} if incomplete else None,
                "instructions": r.get("instructions"), "max_output_tokens": r.get("max_output_tokens"),
                "model": self.model, "output": output,
                "parallel_tool_calls": r.get("parallel_tool_calls", True),
                "temperature": r.get("temperature"), "top_p": r.get("top_p"),
                "tool_choice": r.get("tool_choice", "auto"), "tools": r.get("tools", []),
                "text": r.get("text", {"format": {"type": "text"}}), "usage": usage_, "metadata": {},
                "previous_response_id": None, "store": False}


def whole(response: ChatResponse, request: dict[str, Any]) -> dict[str, Any]:
    """A whole ``response``: reasoning, then text, then function calls, as OpenAI orders them."""
    output: list[dict[str, Any]] = []
    if response.reasoning:
        output.append(_reasoning(response.reasoning))
    if response.text:
        output.append(_message(response.text))
    output.extend(_function_call(c.id, c.name, _arguments(c)) for c in response.tool_calls)
    cut = response.finish_reason == FinishReason.LENGTH
    envelope = Envelope(f"{response.provider}/{response.model}", request)
    return envelope.body("incomplete" if cut else "completed", output, usage(response.usage),
                         incomplete="max_output_tokens" if cut else None)


class _Open:
    """An output item being streamed."""

    def __init__(self, kind: str, index: int, item_id: str, call_id: str = "", name: str = "") -> None:
        self.kind, self.index, self.id = kind, index, item_id
        self.call_id, self.name = call_id, name
        self.text: list[str] = []


class ResponsesEncoder:
    """A stream as the Responses API's events (see the module's docstring)."""

    def __init__(self, model: str, request: dict[str, Any]) -> None:
        self.envelope = Envelope(model, request)
        self.seq = 0
        self.output: list[dict[str, Any]] = []
        self.open: _Open | None = None  # the text or reasoning item receiving deltas
        self.calls: dict[int, _Open] = {}  # function calls by the stream's tool-call index
        self.finish: FinishReason | None = None
        self.usage: Usage | None = None

    def _event(self, kind: str, **fields: Any) -> bytes:
        body = {"type": kind, **fields, "sequence_number": self.seq}
        self.seq += 1
        return sse(json.dumps(body, separators=(",", ":")), kind)

    def start(self) -> Iterable[bytes]:
        """``response.created`` and ``response.in_progress``."""
        body = self.envelope.body("in_progress", [], None)
        yield self._event("response.created", response=body)
        yield self._event("response.in_progress", response=body)

    def _add(self, item: dict[str, Any]) -> tuple[int, bytes]:
        index = len(self.output)
        self.output.append(item)
        return index, self._event("response.output_item.added", output_index=index, item=item)

    def _close_open(self) -> Iterator[bytes]:
        item, self.open = self.open, None
        if item is None:
            return
        text = "".join(item.text)
        if item.kind == "message":
            part = {"type": "output_text", "text": text, "annotations": []}
            yield self._event("response.output_text.done", item_id=item.id, output_index=item.index,
                              content_index=0, text=text)
            yield self._event("response.content_part.done", item_id=item.id, output_index=item.index,
                              content_index=0, part=part)
            done = _message(text, item.id)
        else:
            part = {"type": "summary_text", "text": text}
            yield self._event("response.reasoning_summary_text.done", item_id=item.id,
                              output_index=item.index, summary_index=0, text=text)
            yield self._event("response.reasoning_summary_part.done", item_id=item.id,
                              output_index=item.index, summary_index=0, part=part)
            done = _reasoning(text, item.id)
        self.output[item.index] = done
        yield self._event("response.output_item.done", output_index=item.index, item=done)

    def _open_item(self, kind: str) -> Iterator[bytes]:
        if self.open is not None and self.open.kind == kind:
            return
        yield from self._close_open()
        item_id = _id("msg" if kind == "message" else "rs")
        if kind == "message":
            index, added = self._add({"id": item_id, "type": "message", "status": "in_progress",
                                      "role": "assistant", "content": []})
            yield added
            yield self._event("response.content_part.added", item_id=item_id, output_index=index,
                              content_index=0, part={"type": "output_text", "text": "", "annotations": []})
        else:
            index, added = self._add({"id": item_id, "type": "reasoning", "summary": []})
            yield added
            yield self._event("response.reasoning_summary_part.added", item_id=item_id, output_index=index,
                              summary_index=0, part={"type": "summary_text", "text": ""})
        self.open = _Open(kind, index, item_id)

    def _end_call(self, call: _Open, arguments: str | None = None) -> Iterator[bytes]:
        args = arguments if arguments is not None else "".join(call.text)
        yield self._event("response.function_call_arguments.done", item_id=call.id, output_index=call.index,
                          arguments=args)
        done = _function_call(call.call_id, call.name, args, call.id)
        self.output[call.index] = done
        yield self._event("response.output_item.done", output_index=call.index, item=done)

    def event(self, event: StreamEvent) -> Iterable[bytes]:
        """One event of the client library's stream as Responses API events."""
        if isinstance(event, TextDelta | ReasoningDelta):
            if not event.text:
                return
            yield from self._open_item("message" if isinstance(event, TextDelta) else "reasoning")
            assert self.open is not None
            self.open.text.append(event.text)
            kind = ("response.output_text.delta" if isinstance(event, TextDelta)
                    else "response.reasoning_summary_text.delta")
            where = {"content_index": 0} if isinstance(event, TextDelta) else {"summary_index": 0}
            yield self._event(kind, item_id=self.open.id, output_index=self.open.index, delta=event.text,
                              **where)
        elif isinstance(event, ToolCallStarted):
            yield from self._close_open()
            item_id = _id("fc")
            index, added = self._add({"id": item_id, "type": "function_call", "status": "in_progress",
                                      "call_id": event.id, "name": event.name, "arguments": ""})
            self.calls[event.index] = _Open("function_call", index, item_id, event.id, event.name)
            yield added
        elif isinstance(event, ToolCallDelta):
            call = self.calls.get(event.index)
            if call is not None and event.arguments:
                call.text.append(event.arguments)
                yield self._event("response.function_call_arguments.delta", item_id=call.id,
                                  output_index=call.index, delta=event.arguments)
        elif isinstance(event, ToolCallEnded):
            call = self.calls.pop(event.index, None)
            if call is not None:
                yield from self._end_call(call, _arguments(event.call))
        elif isinstance(event, Finished):
            self.finish = event.reason
        elif isinstance(event, UsageReported):
            self.usage = event.usage

    def end(self, stream: ChatStream) -> Iterable[bytes]:
        """Close what is open, then ``response.completed`` (or ``response.incomplete``)."""
        yield from self._close_open()
        for call in list(self.calls.values()):
            yield from self._end_call(call)
        self.calls.clear()
        final = stream.response.usage if stream.response is not None else self.usage
        if self.finish == FinishReason.LENGTH:
            yield self._event("response.incomplete", response=self.envelope.body(
                "incomplete", self.output, usage(final), incomplete="max_output_tokens"))
        else:
            yield self._event("response.completed", response=self.envelope.body("completed", self.output,
                                                                                usage(final)))

    def failed(self, error: GatewayError) -> Iterable[bytes]:
        """An ``error`` event, then ``response.failed``."""
        yield self._event("error", code=error.code, message=error.message, param=error.param)
        yield self._event("response.failed", response=self.envelope.body(
            "failed", self.output, usage(self.usage), error={"code": error.code or "server_error",
                                                             "message": error.message}))

    def refused(self, error: GatewayError) -> Response:
        """A stream that could not start: the HTTP error."""
        return error_json(error, error.openai_body())
