"""What a reply object of ``/api/chat`` holds, streamed or whole: text, thinking, tool calls with
their ids, usage and the finish reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import ResponseParseError
from modelplex_ollama.errors import stream_error
from modelplex_ollama.tools import CallIds, OllamaToolCodec, arguments_json

_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return value if type(value) is int and value > 0 else 0  # a bool is not a count


def usage_of(data: Mapping[str, Any]) -> Usage:
    """``prompt_eval_count`` is the input, ``eval_count`` the output (thinking included: Ollama does
    not count it apart)."""
    return Usage(input=_count(data, "prompt_eval_count"), output=_count(data, "eval_count"))


def finish_of(done_reason: Any, called_tools: bool) -> FinishReason:
    """Ollama says ``stop`` after tool calls too; a reply that called tools finished for them."""
    reason = _FINISH.get(done_reason, FinishReason.STOP if done_reason in (None, "") else
                         FinishReason.OTHER)
    return FinishReason.TOOL_CALLS if called_tools and reason is FinishReason.STOP else reason


def checked(data: Any, provider: str, model: str, where: str = "stream") -> Mapping[str, Any]:
    """``data`` as a reply object; an ``{"error": ...}`` object raises its error."""
    if type(data) is not dict and not isinstance(data, Mapping):  # JSON gives dicts: the ABC check last
        raise ResponseParseError(f"Ollama sent {type(data).__name__}, not a JSON object",
                                 provider=provider, model=model)
    if data.get("error") is not None:
        raise stream_error(provider, model, data, where=where)
    return data


def message_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    message = data.get("message")
    return message if type(message) is dict or isinstance(message, Mapping) else {}


def text_of(message: Mapping[str, Any], key: str) -> str:
    value = message.get(key)
    return value if isinstance(value, str) else ""


def tool_calls_of(data: Mapping[str, Any], ids: CallIds, codec: OllamaToolCodec) -> list[ToolCallPart]:
    """The tool calls of one reply object, each with an id unique in the reply."""
    wire = message_of(data).get("tool_calls")
    out = []
    for item in wire if isinstance(wire, list) else []:
        if not isinstance(item, Mapping):
            continue
        call = codec.decode_tool_call(item)
        args = call.raw_arguments if call.raw_arguments is not None else arguments_json(call.arguments)
        out.append(ToolCallPart(id=ids.assign(item.get("id"), data.get("created_at"), call.name, args),
                                name=call.name, arguments=call.arguments,
                                raw_arguments=call.raw_arguments))
    return out
