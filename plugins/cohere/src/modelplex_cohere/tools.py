"""The tool codec for Cohere's v2 wire (``format = "cohere"``).

A tool is ``{"type": "function", "function": {name, description, parameters}}``; a call is
``{"id", "type": "function", "function": {"name", "arguments": "<JSON text>"}}``; a result is a
``role: tool`` message with ``tool_call_id`` and its output as a document the model can cite
(``content: [{"type": "document", "document": {"data": {"output": "..."}}}]``, as LangChain sends it
in recording 04).
Tool choice: Cohere knows ``REQUIRED`` and ``NONE``; leaving it out is ``auto``; it has no named tool,
so a named choice is sent as ``REQUIRED`` with only that tool offered (:mod:`.body`), and warned about.
Strictness is one request flag (``strict_tools``), not a tool's: a tool's ``strict`` is not carried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex.toolkit import arguments_json, encode_each

FORMAT = "cohere"
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
_MODES = {"REQUIRED": "required", "NONE": "none"}


def parse_arguments(text: Any) -> tuple[dict[str, Any], str | None]:
    """Arguments as a JSON object; anything else gives ``{}`` and the text as it came, so nothing is
    lost (the caller warns with :func:`modelplex.toolkit.unparsed_arguments`). Cohere sends ``"null"``
    for a tool without parameters: that is no arguments, not a malformed call."""
    if not isinstance(text, str) or not text.strip() or text.strip() == "null":
        return {}, None
    try:
        value = json.loads(text)
    except ValueError:
        return {}, text
    return (value, None) if isinstance(value, dict) else ({}, text)


def result_text(content: Any) -> str:
    """A tool message's content as text: a string as it is; documents' ``data`` and text items joined
    (a document's data ``{"output": text}`` as that text, other data as JSON)."""
    if isinstance(content, str):
        return content
    out: list[str] = []
    for item in content if isinstance(content, list) else ():
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "text" and isinstance(item.get("text"), str):
            out.append(item["text"])
        elif item.get("type") == "document" and isinstance(item.get("document"), Mapping):
            data = item["document"].get("data")
            if isinstance(data, Mapping) and set(data) == {"output"} and isinstance(data["output"], str):
                data = data["output"]
            out.append(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
    return "".join(out)


class ToolCodec:
    """Canonical tools, tool choice, calls and results to and from Cohere's JSON.

    ``decode_*(encode_*(x))`` gives ``x`` back, less what the wire has no place for, each warned about
    or named here: a tool's ``strict`` (warned), a named tool choice (sent as ``REQUIRED``, warned), a
    call's ``signature`` and ``origin`` and a result's ``is_error`` and ``name``.
    """

    format = FORMAT

    def __init__(self, *, provider: str | None = "cohere") -> None:
        self.provider = provider

    def _tool(self, tool: Tool) -> tuple[dict[str, Any], list[ProviderWarning]]:
        fn: dict[str, Any] = {"name": tool.name, "description": tool.description,
                              "parameters": dict(tool.parameters)}
        warnings = []
        if tool.strict:
            warnings.append(ProviderWarning(
                code="unsupported-setting", field=f"tools.{tool.name}.strict",
                message="Cohere sets strictness for all tools at once (strict_tools), not per tool; "
                        "pass strict_tools=True to ask for it"))
        return {"type": "function", "function": fn}, warnings

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        return encode_each(tools, self._tool)

    def decode_tools(self, wire: Any) -> list[Tool]:
        out = []
        for item in wire:
            fn = item["function"]
            out.append(Tool(name=fn["name"], description=fn.get("description") or "",
                            parameters=fn.get("parameters") or _EMPTY_SCHEMA))
        return out

    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        """``None`` for auto (the key is left out), ``"REQUIRED"``, ``"NONE"``."""
        if choice.mode == "auto":
            return None, []
        if choice.mode == "tool":
            return "REQUIRED", [ProviderWarning(
                code="unsupported-setting", field="tool_choice",
                message=f"Cohere cannot be told to call one named tool; sent as REQUIRED with only "
                        f"{choice.name!r} offered")]
        return choice.mode.upper(), []

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        if wire is None:
            return ToolChoice.auto()
        mode = _MODES.get(wire) if isinstance(wire, str) else None
        if mode == "required":
            return ToolChoice.required()
        if mode == "none":
            return ToolChoice.none()
        raise ToolSchemaError(f"{self.provider}: unknown tool_choice {wire!r}", field="tool_choice",
                              provider=self.provider)

    def encode_tool_call(self, call: ToolCallPart) -> Any:
        return {"id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": arguments_json(call)}}

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        fn = wire.get("function") or {}
        arguments, raw = parse_arguments(fn.get("arguments"))
        return ToolCallPart(id=str(wire.get("id") or ""), name=str(fn.get("name") or ""),
                            arguments=arguments, raw_arguments=raw)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        return {"role": "tool", "tool_call_id": result.tool_call_id,
                "content": [{"type": "document", "document": {"data": {"output": result.content}}}]}

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        return ToolResultPart(tool_call_id=str(wire.get("tool_call_id") or ""),
                              content=result_text(wire.get("content")))
