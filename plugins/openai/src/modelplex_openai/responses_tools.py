"""The tool codec for the Responses API (``format = "openai-responses"``): flat function tools,
``function_call`` and ``function_call_output`` items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelplex_openai_compat import OpenAIChatToolCodec, Profile, arguments_json, content_text

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart

FORMAT = "openai-responses"


class ResponsesToolCodec:
    """Canonical tools to and from Responses API items. What the wire cannot carry: a call's
    ``signature`` and ``origin``, a result's ``name`` and ``is_error``.

    A tool's ``strict=None`` is sent as ``"strict": false``: the Responses API makes a tool strict
    when ``strict`` is left out (unlike Chat Completions and every other wire), which would make
    optional parameters required. So ``None`` comes back as ``False``.
    """

    format = FORMAT

    def __init__(self, profile: Profile | None = None, *, provider: str | None = None) -> None:
        self._chat = OpenAIChatToolCodec(profile, provider=provider)

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        wire, warnings = self._chat.encode_tools(tools)
        out = [{"type": "function", **item["function"]} for item in wire]
        if self._chat.profile.supports_strict_tools:
            for item, tool in zip(out, tools, strict=True):
                if tool.strict is None:
                    item["strict"] = False
        return out, warnings

    def decode_tools(self, wire: Any) -> list[Tool]:
        return self._chat.decode_tools([{"function": {k: v for k, v in item.items() if k != "type"}}
                                        for item in wire])

    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        if choice.mode == "tool":
            return {"type": "function", "name": choice.name}, []
        return self._chat.encode_tool_choice(choice)

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        if isinstance(wire, Mapping) and "name" in wire:
            return ToolChoice.tool(str(wire["name"]))
        return self._chat.decode_tool_choice(wire)

    def encode_tool_call(self, call: ToolCallPart) -> Any:
        return {"type": "function_call", "call_id": call.id, "name": call.name,
                "arguments": arguments_json(call)}

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        return self._chat.decode_tool_call({"id": wire.get("call_id"), "function": wire})

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        return {"type": "function_call_output", "call_id": result.tool_call_id,
                "output": result.content}

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        return ToolResultPart(tool_call_id=str(wire["call_id"]),
                              content=content_text(wire.get("output")))
