"""The per-tool encode loop every tool codec's ``encode_tools`` is made of."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex import ProviderWarning, Tool


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
