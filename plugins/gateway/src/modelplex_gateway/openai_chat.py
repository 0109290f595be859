"""Chat Completions replies: a :class:`~modelplex.ChatResponse` as a ``chat.completion`` and a stream as
``chat.completion.chunk`` events ending with ``data: [DONE]``.

The usage chunk (``choices: []``) is sent only when the request's ``stream_options.include_usage`` is
true: clients that never asked for it break on a chunk without choices. Tool calls are streamed with their
``index``, the id and name in the first fragment and the arguments in pieces after it; reasoning is
``reasoning_content`` (the field DeepSeek, vLLM and most OpenAI-compatible servers use).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from modelplex import (
    Finished,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallStarted,
    UsageReported,
)
from modelplex_gateway.errors import GatewayError
from modelplex_gateway.sse import error_json, sse

if TYPE_CHECKING:
    from modelplex import ChatResponse, ChatStream, FinishReason, StreamEvent, Usage

DONE = b"data: [DONE]\n\n"
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}


def finish_reason(reason: FinishReason | str) -> str:
    """OpenAI's finish reason for ours (an error or other end reads as ``stop``)."""
    return _FINISH.get(str(reason), "stop")


def usage(u: Usage | None) -> dict[str, Any] | None:
    """OpenAI's usage object: prompt tokens count cached ones, completion tokens reasoning ones."""
    if u is None:
        return None
    return {"prompt_tokens": u.total_input, "completion_tokens": u.total_output, "total_tokens": u.total,
            "prompt_tokens_details": {"cached_tokens": u.cache_read},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning}}


def _arguments(call: Any) -> str:
    raw: str | None = call.raw_arguments
    return raw if raw is not None else json.dumps(dict(call.arguments), separators=(",", ":"))


def completion(response: ChatResponse) -> dict[str, Any]:
    """A whole ``chat.completion``."""
    message: dict[str, Any] = {"role": "assistant", "content": response.text or None}
    if response.reasoning:
        message["reasoning_content"] = response.reasoning
    if calls := response.tool_calls:
        message["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.name, "arguments": _arguments(c)}} for c in calls]
    return {"id": f"chatcmpl-{response.id or uuid.uuid4().hex}", "object": "chat.completion",
            "created": int(time.time()), "model": f"{response.provider}/{response.model}",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish_reason(response.finish_reason)}],
            "usage": usage(response.usage)}


class ChunkEncoder:
    """A stream as ``chat.completion.chunk`` events (see the module's docstring)."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.model = model
        self.created = int(time.time())
        self.include_usage = include_usage
        self.usage: Usage | None = None

    def _chunk(self, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish,
                                             "logprobs": None}]
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": choices, **extra}
        return sse(json.dumps(body, separators=(",", ":")))

    def start(self) -> Iterable[bytes]:
        """The role, first, as OpenAI sends it."""
        yield self._chunk({"role": "assistant", "content": ""})

    def event(self, event: StreamEvent) -> Iterable[bytes]:
        """Text, reasoning and tool-call fragments as deltas; the finish reason; usage kept for the end."""
        if isinstance(event, TextDelta):
            if event.text:
                yield self._chunk({"content": event.text})
        elif isinstance(event, ReasoningDelta):
            if event.text:
                yield self._chunk({"reasoning_content": event.text})
        elif isinstance(event, ToolCallStarted):
            yield self._chunk({"tool_calls": [{"index": event.index, "id": event.id, "type": "function",
                                               "function": {"name": event.name, "arguments": ""}}]})
        elif isinstance(event, ToolCallDelta):
            if event.arguments:
                yield self._chunk({"tool_calls": [{"index": event.index,
                                                   "function": {"arguments": event.arguments}}]})
        elif isinstance(event, Finished):
            yield self._chunk({}, finish_reason(event.reason))
        elif isinstance(event, UsageReported):
            self.usage = event.usage

    def end(self, stream: ChatStream) -> Iterable[bytes]:
        """The usage chunk, only if asked for, then ``[DONE]``."""
        if self.include_usage:
            final = stream.response.usage if stream.response is not None else self.usage
            yield self._chunk(None, usage=usage(final))
        yield DONE

    def failed(self, error: GatewayError) -> Iterable[bytes]:
        """An error event (the SDKs raise it as an ``APIError``); no ``[DONE]``: the stream did not end."""
        yield sse(json.dumps(error.openai_body(), separators=(",", ":")))

    def refused(self, error: GatewayError) -> Response:
        """A stream that could not start: the HTTP error."""
        return error_json(error, error.openai_body())
