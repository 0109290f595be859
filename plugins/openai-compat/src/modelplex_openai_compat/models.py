"""``/models`` to :class:`~modelplex.ModelInfo`, with the context window where a server gives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ModelInfo

_WINDOW_FIELDS = ("context_window", "context_length", "max_context_length", "max_model_len")


def _window(item: Mapping[str, Any]) -> int | None:
    for field in _WINDOW_FIELDS:
        value = item.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def model_infos(provider: str, data: Any, *, local: bool = False) -> list[ModelInfo]:
    """The models of a ``{"data": [{"id": ...}, ...]}`` listing, in the server's order."""
    items = data.get("data") if isinstance(data, Mapping) else data
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            out.append(ModelInfo(id=item["id"], provider=provider, context_window=_window(item),
                                 local=local))
    return out
