"""What a reply object of ``/api/chat`` holds, streamed or whole: text, thinking, tool calls with
their ids, usage and the finish reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.toolkit import Reader
from modelplex.toolkit.usage import count
from modelplex_ollama.errors import stream_error
from modelplex_ollama.tools import CallIds, OllamaToolCodec, arguments_json

_MESSAGE = ("message",)
_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


def usage_of(data: Mapping[str, Any]) -> Usage:
    """``prompt_eval_count`` is the input, ``eval_count`` the output (thinking included: Ollama does
    not count it apart)."""
    return Usage(input=count(data.get("prompt_eval_count")), output=count(data.get("eval_count")))


def finish_of(done_reason: Any, called_tools: bool) -> FinishReason:
    """Ollama says ``stop`` after tool calls too; a reply that called tools finished for them."""
    reason = _FINISH.get(done_reason, FinishReason.STOP if done_reason in (None, "") else
                         FinishReason.OTHER)
    return FinishReason.TOOL_CALLS if called_tools and reason is FinishReason.STOP else reason


def checked(data: Any, read: Reader, where: str = "stream") -> Mapping[str, Any]:
    """``data`` as a reply object; an ``{"error": ...}`` object raises its error."""
    found = data if type(data) is dict else read.obj(data)
    if found.get("error") is not None:
        raise stream_error(read.provider, read.model, found, where=where)
    return found


def message_of(read: Reader, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The reply object's ``message`` (none is an empty one)."""
    message = data.get("message")
    if type(message) is dict:  # the reader only to name what is wrong: this runs for every object
        return message
    return read.optional_obj(data, "message") or {}


def text_of(read: Reader, message: Mapping[str, Any], key: str) -> str:
    """``message.<key>`` as text (none is empty)."""
    value = message.get(key)
    if type(value) is str:
        return value
    return read.optional_string(message, key, at=_MESSAGE) or ""


def tool_calls_of(read: Reader, data: Mapping[str, Any], ids: CallIds,
                  codec: OllamaToolCodec) -> list[ToolCallPart]:
    """The tool calls of one reply object, each with an id unique in the reply."""
    message = message_of(read, data)
    if message.get("tool_calls") is None:
        return []
    wire = read.array(message, "tool_calls", at=_MESSAGE)
    stamp = data.get("created_at")
    out = []
    for i, item in enumerate(wire):
        at = (*_MESSAGE, "tool_calls", i)
        read.string(item, "function", "name", at=at)  # and with it, that both are objects
        read.optional_string(item, "id", at=at)
        call = codec.decode_tool_call(item)
        args = call.raw_arguments if call.raw_arguments is not None else arguments_json(call.arguments)
        out.append(ToolCallPart(id=ids.assign(item.get("id"), stamp, call.name, args),
                                name=call.name, arguments=call.arguments,
                                raw_arguments=call.raw_arguments))
    return out
