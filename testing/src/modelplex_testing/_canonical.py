"""The identity tool codec: canonical tools as plain JSON, for the fake provider and for codec tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelplex import ProviderWarning, Tool, ToolCallPart, ToolChoice, ToolResultPart, structure, unstructure


class CanonicalToolCodec:
    format = "canonical"

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]:
        return [unstructure(t) for t in tools], []

    def decode_tools(self, wire: Any) -> list[Tool]:
        return [structure(t, Tool) for t in wire]

    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]:
        return unstructure(choice), []

    def decode_tool_choice(self, wire: Any) -> ToolChoice:
        return structure(wire, ToolChoice)

    def encode_tool_call(self, call: ToolCallPart) -> Any:
        return unstructure(call)

    def decode_tool_call(self, wire: Any) -> ToolCallPart:
        return structure(wire, ToolCallPart)

    def encode_tool_result(self, result: ToolResultPart) -> Any:
        return unstructure(result)

    def decode_tool_result(self, wire: Any) -> ToolResultPart:
        return structure(wire, ToolResultPart)
