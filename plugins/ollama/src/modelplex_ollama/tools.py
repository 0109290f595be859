"""The tool codec for Ollama's native API (``format = "ollama"``), and ids for Ollama's tool calls.

On the wire a tool is ``{"type": "function", "function": {name, description, parameters}}``; a call
is ``{"function": {"name", "arguments": {...}}}`` with the arguments as a JSON *object* and, from
newer servers only, an ``id``; a result is a ``role: tool`` message naming the tool in
``tool_name``. Ollama has no ``tool_choice``: the codec's tool-choice value is not a wire field but
tells the request which tools to offer (see :meth:`OllamaToolCodec.encode_tool_choice`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex.errors import ToolSchemaError

FORMAT = "ollama"
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def arguments_json(arguments: Mapping[str, Any]) -> str:
    return json.dumps(dict(arguments), ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def parse_arguments(wire: Any) -> tuple[dict[str, Any], str | None]:
    """Arguments as a JSON object (Ollama's way); a JSON string holding one is read too. Anything
    else gives ``{}`` and the text as it came, so nothing is lost."""
    if isinstance(wire, Mapping):
        return dict(wire), None
    if wire is None:
        return {}, None
    text = wire if isinstance(wire, str) else json.dumps(wire, ensure_ascii=False)
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError:
        return {}, text
    return (value, None) if isinstance(value, dict) else ({}, text)


class CallIds:
    """Ids for the tool calls of one reply.

    Ollama's own id is kept when it gives one (newer servers do). Otherwise the id is made from the
    reply's timestamp, the call's position and its content: the same recorded stream always gives
    the same ids, and two turns (whose timestamps differ) never share one. Within a reply no id is
    given twice.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._count = 0

    def assign(self, given: Any, stamp: Any, name: str, arguments: str) -> str:
        self._count += 1
        if isinstance(given, str) and given and given not in self._seen:
            self._seen.add(given)
            return given
        salt = 0
        while True:
            seed = f"{stamp}\x00{self._count}\x00{salt}\x00{name}\x00{arguments}".encode()
            candidate = "call_" + hashlib.sha256(seed).hexdigest()[:16]
            if candidate not in self._seen:
                self._seen.add(candidate)
                return candidate
            salt += 1


def _warning(field: str, message: str) -> ProviderWarning:
    return ProviderWarning(code="unsupported-setting", field=field, message=message)


class OllamaToolCodec:
    """Canonical tools, tool choice, calls and results to and from Ollama's native JSON.

    ``decode_*(encode_*(x))`` gives ``x`` back, less what the wire has no place for: a tool's
    ``strict`` (warned about), a call's ``signature`` and ``origin``, arguments that are not a JSON
    object (Ollama's arguments always are one), and a result's ``is_error``.
    """

    format = FORMAT

    def __init__(self, *, provider: str | None = "ollama") -> None:
        self.provider = provider

    # -- tools -----------------------------------------------------------------------------------
    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        wire: list[dict[str, Any]] = []
        warnings: list[ProviderWarning] = []
        for tool in tools:
            wire.append({"type": "function", "function": {
                "name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)}})
            if tool.strict is not None:
                warnings.append(_warning(f"tools.{tool.name}.strict", f"Ollama takes no 'strict' on "
                                         f"tools; {tool.name!r} was sent without it"))
        return wire, warnings

    def decode_tools(self, wire: Any) -> list[Tool]:
        out = []
        for item in wire:
            fn = item.get("function", item)
            out.append(Tool(name=fn["name"], description=fn.get("description") or "",
                            parameters=fn.get("parameters") or _EMPTY_SCHEMA))
        return out

    # -- tool choice -----------------------------------------------------------------------------
    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        """Ollama cannot force a call. ``auto`` is ``None`` (offer the tools); ``none`` is ``"none"``
        (offer none, which is exactly it); a named tool is ``{"name": ...}`` (offer only that one, with
        a warning that the model may still answer without it); ``required`` offers them all, with a
        warning."""
        if choice.mode == "auto":
            return None, []
        if choice.mode == "none":
            return "none", []
        if choice.mode == "tool":
            return {"name": choice.name}, [_warning("tool_choice", (
                f"Ollama cannot force a tool call: only {choice.name!r} was offered, and the model "
                "may still answer without calling it"))]
        return None, [_warning("tool_choice", "Ollama cannot require a tool call: the tools were "
                               "offered and the model decides (tool_choice 'auto')")]

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        if wire is None or wire == "auto":
            return ToolChoice.auto()
        if wire == "none":
            return ToolChoice.none()
        name = wire.get("name") if isinstance(wire, Mapping) else None
        if not isinstance(name, str):
            raise ToolSchemaError(f"unknown tool choice {wire!r}", field="tool_choice",
                                  provider=self.provider)
        return ToolChoice.tool(name)

    # -- calls and results -----------------------------------------------------------------------
    def encode_tool_call(self, call: ToolCallPart) -> Any:
        wire: dict[str, Any] = {"function": {"name": call.name, "arguments": dict(call.arguments)}}
        if call.id:
            wire["id"] = call.id
        return wire

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        fn = wire.get("function") or {}
        arguments, raw = parse_arguments(fn.get("arguments"))
        return ToolCallPart(id=str(wire.get("id") or ""), name=str(fn.get("name") or ""),
                            arguments=arguments, raw_arguments=raw)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        wire: dict[str, Any] = {"role": "tool", "content": result.content}
        if result.name is not None:
            wire["tool_name"] = result.name
        if result.tool_call_id:
            wire["tool_call_id"] = result.tool_call_id
        return wire

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        name = wire.get("tool_name")
        return ToolResultPart(tool_call_id=str(wire.get("tool_call_id") or ""),
                              content=str(wire.get("content") or ""),
                              name=name if isinstance(name, str) else None)
