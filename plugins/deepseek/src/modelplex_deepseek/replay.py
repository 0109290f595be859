"""Which ``reasoning_content`` goes back to DeepSeek, as its thinking-mode guide says.

Between two user messages, if the model made no tool call, the reasoning of the assistant messages
in between is not part of the context: it is left out (the first reasoning model answered 400 when
it was sent; the current ones ignore it). If the model did make a tool call, the reasoning of every
assistant message in between must be sent back, in that turn and in all later requests (else 400).

The shared encoder has already dropped, with a warning, reasoning that another provider or model
produced; this stage removes DeepSeek's own reasoning from turns without tool calls, and gives every
assistant message of a turn with tool calls the field, empty where it has no reasoning of DeepSeek's
(a reply of another provider, or of DeepSeek without thinking): in thinking mode DeepSeek answers 400
"Missing `reasoning_content` field in the assistant message at message index N" otherwise.
"""

from __future__ import annotations

from typing import Any

from modelplex_openai_compat import Call
from modelplex_openai_compat import encode_messages as encode_compat

from modelplex import ProviderWarning


def encode_messages(call: Call) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    messages, warnings = encode_compat(call)
    field = call.profile.reasoning_field
    if field is None:
        return messages, warnings
    turns: list[list[dict[str, Any]]] = [[]]
    for message in messages:
        if message["role"] == "user":
            turns.append([])
        turns[-1].append(message)
    for turn in turns:
        calls_tools = any(m["role"] == "assistant" and m.get("tool_calls") for m in turn)
        for message in turn:
            if not calls_tools:
                message.pop(field, None)
            elif message["role"] == "assistant":
                message.setdefault(field, "")
    return messages, warnings
