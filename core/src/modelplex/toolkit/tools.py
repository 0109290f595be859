"""The per-tool encode loop every tool codec's ``encode_tools`` is made of, and the one warning every
plugin gives for a call whose arguments are not a JSON object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex import ProviderWarning, Tool, ToolCallPart


def encode_each(tools: Sequence[Tool],
                encode_tool: Callable[[Tool], tuple[dict[str, Any], list[ProviderWarning]]]
                ) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    """A codec's ``encode_tools`` from its ``encode_tool``: the wire items in order, and every warning."""
    wire: list[dict[str, Any]] = []
    warnings: list[ProviderWarning] = []
    for tool in tools:
        item, found = encode_tool(tool)
        wire.append(item)
        warnings.extend(found)
    return wire, warnings


def unparsed_arguments(call: ToolCallPart, field: str = "tool_calls") -> ProviderWarning | None:
    """The warning for a call whose arguments are not a JSON object (``7``, ``[1, 2]``, text cut
    short): they are kept as the provider sent them in ``raw_arguments``, ``arguments`` is ``{}``.
    ``None`` for a call whose arguments parsed."""
    if call.raw_arguments is None:
        return None
    from modelplex import ProviderWarning

    return ProviderWarning(code="tool-arguments-not-object", field=field,
                           message=f"the arguments of the call to {call.name!r} are not a JSON "
                                   "object; they are kept as sent in raw_arguments, and arguments "
                                   "is empty")
