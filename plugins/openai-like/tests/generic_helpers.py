"""Helpers for the generic plugin's contract tests: recorded requests decoded into canonical
messages and tools, so a scenario's request is the recorded one and the plugin must encode it back
exactly (``Scenario.compare``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelplex_openai_compat import OpenAIChatToolCodec, content_text

from modelplex import Message, Origin, Part, ReasoningPart, TextPart, Tool, ToolResultPart
from modelplex_testing import Recording

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDER = "openai-like"
CODEC = OpenAIChatToolCodec()
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")


def body(name: str) -> dict[str, Any]:
    """``"deepseek/03_..."`` -> that recording's request body."""
    data = Recording.load(FIXTURES / f"{name}.json").request_body
    assert isinstance(data, dict)
    return data


def response_body(name: str) -> dict[str, Any]:
    data = Recording.load(FIXTURES / f"{name}.json").response["body"]
    assert isinstance(data, dict)
    return data


def tools(name: str) -> list[Tool]:
    return CODEC.decode_tools(body(name)["tools"])


def messages(name: str, reasoning_field: str = "reasoning_content") -> list[Message]:
    """The recorded messages as canonical ones; an assistant's reasoning field becomes a reasoning
    part from this provider and the recorded model (the one it would be replayed to)."""
    recorded = body(name)
    origin = Origin(provider=PROVIDER, model=recorded["model"])
    out = []
    for wire in recorded["messages"]:
        role = wire["role"]
        if role == "tool":
            out.append(Message(role="tool", parts=(ToolResultPart(
                tool_call_id=wire["tool_call_id"], content=content_text(wire["content"])),)))
            continue
        parts: list[Part] = []
        if isinstance(wire.get(reasoning_field), str):
            parts.append(ReasoningPart(text=wire[reasoning_field], origin=origin))
        if wire.get("content"):
            parts.append(TextPart(text=content_text(wire["content"])))
        parts += [CODEC.decode_tool_call(c) for c in wire.get("tool_calls") or []]
        out.append(Message(role=role, parts=tuple(parts)))
    return out


def same_messages(sent: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> bool:
    """Equal, reading each tool call's ``arguments`` as the JSON it is: clients serialise the
    same arguments with or without spaces."""
    def norm(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for m in messages:
            m = dict(m)
            if m.get("tool_calls"):
                m["tool_calls"] = [{**c, "function": {**c["function"], "arguments": json.loads(
                    c["function"]["arguments"])}} for c in m["tool_calls"]]
            out.append(m)
        return out
    return norm(sent) == norm(recorded)
