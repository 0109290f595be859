"""Messages as ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (the conventions' JSON shape:
role, parts of a type; the output's finish reason), for when content capture is asked for. Secret-shaped
strings are scrubbed: a key pasted into a prompt must not reach a tracing backend."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from modelplex import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from modelplex._secret import scrub


def _part(part: Any) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "content": part.text}
    if isinstance(part, ReasoningPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, ToolCallPart):
        return {"type": "tool_call", "id": part.id, "name": part.name, "arguments": dict(part.arguments)}
    if isinstance(part, ToolResultPart):
        return {"type": "tool_call_response", "id": part.tool_call_id, "response": part.content}
    return {"type": getattr(part, "type", type(part).__name__)}  # an image's bytes are never sent


def messages_json(messages: Iterable[Message], finish_reason: str | None = None) -> str:
    """``messages`` as the conventions' JSON string, scrubbed; each with ``finish_reason`` if given."""
    found = []
    for message in messages:
        entry: dict[str, Any] = {"role": message.role, "parts": [_part(p) for p in message.parts]}
        if finish_reason is not None:
            entry["finish_reason"] = finish_reason
        found.append(entry)
    return scrub(json.dumps(found, ensure_ascii=False, default=str))
