"""The tool-translation contract: canonical tools and calls to and from one provider's wire format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from modelplex._messages import ToolCallPart, ToolResultPart
from modelplex._responses import ProviderWarning
from modelplex._tools import Tool, ToolChoice


@runtime_checkable
class ToolCodec(Protocol):
    """Translates tools for one wire format (``format``: ``"openai-chat"``, ``"anthropic"``, ...).

    Every ``encode_*`` returns the wire value and the warnings for what the format cannot carry.
    ``decode_*(encode_*(x))`` gives back ``x`` less exactly what was warned about.
    """

    format: str

    def encode_tools(self, tools: Sequence[Tool]) -> tuple[Any, list[ProviderWarning]]: ...

    def decode_tools(self, wire: Any) -> list[Tool]: ...

    def encode_tool_choice(self, choice: ToolChoice) -> tuple[Any, list[ProviderWarning]]: ...

    def decode_tool_choice(self, wire: Any) -> ToolChoice: ...

    def encode_tool_call(self, call: ToolCallPart) -> Any: ...

    def decode_tool_call(self, wire: Any) -> ToolCallPart: ...

    def encode_tool_result(self, result: ToolResultPart) -> Any: ...

    def decode_tool_result(self, wire: Any) -> ToolResultPart: ...
