"""The tool codec for the Messages API (``format = "anthropic"``): ``tools`` with ``input_schema``,
``tool_choice`` objects, ``tool_use`` and ``tool_result`` content blocks."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex.toolkit import encode_each

FORMAT = "anthropic"

_CHOICES: Mapping[str, str] = {"auto": "auto", "none": "none", "required": "any"}


def result_text(content: Any) -> str:
    """A ``tool_result`` block's content as text: a string, or the text of its text blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content
                       if isinstance(b, Mapping) and b.get("type") == "text")
    return str(content)


class AnthropicToolCodec:
    """Canonical tools, tool choice, calls and results to and from Messages API JSON.

    ``decode_*(encode_*(x))`` gives ``x`` back, less what this wire has no place for:

    * a tool's ``strict``: ``True`` is warned about (Anthropic's strict tool use is not sent); ``False``
      is what the API does anyway, so it is left out without a warning and decodes as ``None``;
    * a call's ``raw_arguments`` (``input`` must be a JSON object), ``signature`` and ``origin``
      (another provider's artefacts): the message encoder warns about ``raw_arguments``;
    * a result's ``name`` (the ``tool_use_id`` already names the call).

    Every tool choice maps: auto, none, required (``any``) and a named tool.
    """

    format = FORMAT

    def __init__(self, *, provider: str | None = None) -> None:
        self.provider = provider

    # -- tools -----------------------------------------------------------------------------------
    def encode_tool(self, tool: Tool) -> tuple[dict[str, Any], list[ProviderWarning]]:
        schema = dict(tool.parameters)
        if schema.get("type") != "object":  # Anthropic rejects a schema without it (litellm #21584)
            raise ToolSchemaError(f"tool {tool.name!r}: 'input_schema.type' must be 'object'",
                                  field="parameters.type", tool=tool.name, provider=self.provider)
        warnings = []
        if tool.strict:
            warnings.append(ProviderWarning(
                code="unsupported-setting", field=f"tools.{tool.name}.strict",
                message=f"strict schema enforcement is not sent to Anthropic; the arguments of "
                        f"{tool.name!r} are not guaranteed to match its schema"))
        return {"name": tool.name, "description": tool.description, "input_schema": schema}, warnings

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        return encode_each(tools, self.encode_tool)

    def decode_tools(self, wire: Any) -> list[Tool]:
        return [Tool(name=item["name"], description=item.get("description") or "",
                     parameters=item.get("input_schema") or {"type": "object", "properties": {}})
                for item in wire]

    # -- tool choice -----------------------------------------------------------------------------
    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        if choice.mode == "tool":
            return {"type": "tool", "name": choice.name}, []
        return {"type": _CHOICES[choice.mode]}, []

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        kind = wire.get("type") if isinstance(wire, Mapping) else None
        if kind == "tool" and isinstance(wire.get("name"), str):
            return ToolChoice.tool(wire["name"])
        for mode, wire_kind in _CHOICES.items():
            if kind == wire_kind:
                return ToolChoice(mode=mode)  # type: ignore[arg-type]
        raise ToolSchemaError(f"unknown tool_choice {wire!r}", field="tool_choice",
                              provider=self.provider)

    # -- calls and results -----------------------------------------------------------------------
    def encode_tool_call(self, call: ToolCallPart) -> Any:
        return {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        value = wire.get("input")
        if isinstance(value, Mapping):
            return ToolCallPart(id=str(wire.get("id") or ""), name=str(wire.get("name") or ""),
                                arguments=dict(value))
        raw = None if value is None else json.dumps(value, ensure_ascii=False)
        return ToolCallPart(id=str(wire.get("id") or ""), name=str(wire.get("name") or ""),
                            raw_arguments=raw)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        return {"type": "tool_result", "tool_use_id": result.tool_call_id, "content": result.content,
                "is_error": result.is_error}

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        return ToolResultPart(tool_call_id=str(wire["tool_use_id"]),
                              content=result_text(wire.get("content")),
                              is_error=bool(wire.get("is_error", False)))
