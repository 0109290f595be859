"""A small bundled table of Claude models (output limit, context window, extended thinking), and the
``/v1/models`` listing turned into :class:`~modelplex.ModelInfo`.

The table is data shipped with the plugin: nothing is fetched to build it. A model is found by its
id, an alias (``claude-sonnet-4-5``), a dated snapshot (``claude-sonnet-4-5-20250929``) or a
``-latest`` name, by the longest known prefix. Where sources disagree, the smaller output limit is
kept: a ``max_tokens`` above a model's limit is an error, one below it never is.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs

from modelplex import Capabilities, ModelInfo


@attrs.frozen(kw_only=True)
class KnownModel:
    name: str
    context_window: int
    max_output: int
    thinking: bool


def _m(name: str, context: int, output: int, thinking: bool) -> KnownModel:
    return KnownModel(name=name, context_window=context, max_output=output, thinking=thinking)


_K = 1000
KNOWN_MODELS: Mapping[str, KnownModel] = {
    "claude-opus-4-6": _m("Claude Opus 4.6", 1_000 * _K, 128 * _K, True),
    "claude-sonnet-4-6": _m("Claude Sonnet 4.6", 1_000 * _K, 64 * _K, True),
    "claude-opus-4-5": _m("Claude Opus 4.5", 200 * _K, 64 * _K, True),
    "claude-sonnet-4-5": _m("Claude Sonnet 4.5", 200 * _K, 64 * _K, True),
    "claude-haiku-4-5": _m("Claude Haiku 4.5", 200 * _K, 64 * _K, True),
    "claude-opus-4-1": _m("Claude Opus 4.1", 200 * _K, 32 * _K, True),
    "claude-opus-4": _m("Claude Opus 4", 200 * _K, 32 * _K, True),
    "claude-sonnet-4": _m("Claude Sonnet 4", 200 * _K, 64 * _K, True),
    "claude-3-7-sonnet": _m("Claude Sonnet 3.7", 200 * _K, 64 * _K, True),
    "claude-3-5-sonnet": _m("Claude Sonnet 3.5", 200 * _K, 8192, False),
    "claude-3-5-haiku": _m("Claude Haiku 3.5", 200 * _K, 8192, False),
    "claude-3-opus": _m("Claude Opus 3", 200 * _K, 4096, False),
    "claude-3-sonnet": _m("Claude Sonnet 3", 200 * _K, 4096, False),
    "claude-3-haiku": _m("Claude Haiku 3", 200 * _K, 4096, False),
}


@functools.lru_cache(maxsize=512)  # asked on every call; the prefix search reads the whole table
def known(model: str) -> KnownModel | None:
    """What the table knows of ``model``: its own entry, or that of its longest known prefix
    followed by ``-`` (``claude-opus-4-1-20250805`` is ``claude-opus-4-1``, not ``claude-opus-4``)."""
    found = KNOWN_MODELS.get(model)
    if found is not None:
        return found
    prefixes = [key for key in KNOWN_MODELS if model.startswith(key + "-")]
    return KNOWN_MODELS[max(prefixes, key=len)] if prefixes else None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def model_info(provider: str, item: Mapping[str, Any]) -> ModelInfo | None:
    """One ``/v1/models`` entry (``{"type": "model", "id", "display_name", "created_at"}``), with the
    limits the listing gives or else those the table knows."""
    model_id = item.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    table = known(model_id)
    name = item.get("display_name")
    context = _positive(item.get("max_input_tokens")) or (table.context_window if table else None)
    output = _positive(item.get("max_tokens")) or (table.max_output if table else None)
    caps = Capabilities(chat=True, streaming=True, tools=True, parallel_tool_calls=True, vision=True,
                        reasoning=table.thinking if table else None, embeddings=False)
    return ModelInfo(id=model_id, provider=provider, name=name if isinstance(name, str) else None,
                     context_window=context, max_output=output, capabilities=caps)
