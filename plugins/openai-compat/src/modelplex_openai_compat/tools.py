"""The tool codec for the Chat Completions wire format (``format = "openai-chat"``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex import parse_tool_arguments as parse_arguments
from modelplex.errors import ToolSchemaError
from modelplex.toolkit.events import arguments_json
from modelplex.toolkit.tools import encode_each
from modelplex_openai_compat.profile import Profile

__all__ = ["FORMAT", "OpenAIChatToolCodec", "arguments_json", "content_text", "encode_each"]

FORMAT = "openai-chat"


def content_text(content: Any) -> str:
    """A message ``content`` as text: a string, or the text of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content
                       if isinstance(p, Mapping)
                       and p.get("type") in ("text", "input_text", "output_text", None))
    return str(content)



class OpenAIChatToolCodec:
    """Canonical tools, tool choice, calls and results to and from Chat Completions JSON.

    ``decode_*(encode_*(x))`` gives ``x`` back, less what the wire cannot carry: a call's
    ``signature`` and ``origin``, a result's ``is_error`` (and its ``name`` unless the profile sends
    it). What the profile rules out (``strict``, ``tool_choice: "required"``) is warned about.
    """

    format = FORMAT

    def __init__(self, profile: Profile | None = None, *, provider: str | None = None) -> None:
        self.profile = profile or Profile()
        self.provider = provider

    # -- tools -----------------------------------------------------------------------------------
    def encode_tool(self, tool: Tool) -> tuple[dict[str, Any], list[ProviderWarning]]:
        limit = self.profile.max_tool_name_length
        if len(tool.name) > limit:
            raise ToolSchemaError(f"tool {tool.name!r}: the name is {len(tool.name)} characters; "
                                  f"this server takes at most {limit}", field="name", tool=tool.name,
                                  provider=self.provider)
        function: dict[str, Any] = {"name": tool.name, "description": tool.description,
                                    "parameters": dict(tool.parameters)}
        warnings: list[ProviderWarning] = []
        if tool.strict is not None:
            if self.profile.supports_strict_tools:
                function["strict"] = tool.strict
            else:
                warnings.append(ProviderWarning(
                    code="unsupported-setting", field=f"tools.{tool.name}.strict",
                    message=f"this server does not take 'strict' on tools; {tool.name!r} was sent "
                            "without it"))
        return {"type": "function", "function": function}, warnings

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        return encode_each(tools, self.encode_tool)

    def decode_tools(self, wire: Any) -> list[Tool]:
        out = []
        for item in wire:
            fn = item.get("function", item)
            out.append(Tool(name=fn["name"], description=fn.get("description") or "",
                            parameters=fn.get("parameters") or {"type": "object", "properties": {}},
                            strict=fn.get("strict")))
        return out

    # -- tool choice -----------------------------------------------------------------------------
    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        if choice.mode == "tool":
            return {"type": "function", "function": {"name": choice.name}}, []
        if choice.mode == "required" and not self.profile.supports_tool_choice_required:
            return "auto", [ProviderWarning(
                code="unsupported-setting", field="tool_choice",
                message="this server does not take tool_choice 'required'; 'auto' was sent, so the "
                        "model may answer without calling a tool")]
        return choice.mode, []

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        if isinstance(wire, str):
            if wire not in ("auto", "none", "required"):
                raise ToolSchemaError(f"unknown tool_choice {wire!r}", field="tool_choice",
                                      provider=self.provider)
            return ToolChoice(mode=wire)  # type: ignore[arg-type]
        name = (wire.get("function") or {}).get("name") if isinstance(wire, Mapping) else None
        if not isinstance(name, str):
            raise ToolSchemaError(f"tool_choice {wire!r} names no function", field="tool_choice",
                                  provider=self.provider)
        return ToolChoice.tool(name)

    # -- calls and results -----------------------------------------------------------------------
    def encode_tool_call(self, call: ToolCallPart) -> Any:
        return {"id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": arguments_json(call)}}

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        fn = wire.get("function") or {}
        raw = fn.get("arguments")
        if isinstance(raw, Mapping):  # some servers send an object, not a JSON string
            return ToolCallPart(id=str(wire.get("id") or ""), name=str(fn.get("name") or ""),
                                arguments=dict(raw))
        args, unparsed = parse_arguments(raw if isinstance(raw, str) else "")
        return ToolCallPart(id=str(wire.get("id") or ""), name=str(fn.get("name") or ""),
                            arguments=args, raw_arguments=unparsed)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        wire: dict[str, Any] = {"role": "tool", "tool_call_id": result.tool_call_id,
                                "content": result.content}
        if self.profile.tool_result_name and result.name is not None:
            wire["name"] = result.name
        return wire

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        name = wire.get("name")
        return ToolResultPart(tool_call_id=str(wire["tool_call_id"]),
                              content=content_text(wire.get("content")),
                              name=name if isinstance(name, str) else None)
