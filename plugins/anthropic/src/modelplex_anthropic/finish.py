"""Anthropic's ``stop_reason`` mapped onto :class:`~modelplex.FinishReason` (the raw value is kept
beside it by the callers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from modelplex import FinishReason

STOP_REASONS: Final[Mapping[str, FinishReason]] = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    # Sonnet 4.5 and later stop here when the context window, not max_tokens, runs out.
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.CONTENT_FILTER,
    # A server tool's long turn was paused; the caller sends the reply back to let it continue.
    "pause_turn": FinishReason.OTHER,
}


def map_stop_reason(raw: str | None) -> FinishReason:
    """The canonical reason for a ``stop_reason``; a missing or unknown one is ``OTHER``."""
    if raw is None:
        return FinishReason.OTHER
    return STOP_REASONS.get(raw, FinishReason.OTHER)
