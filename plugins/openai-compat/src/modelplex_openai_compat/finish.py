"""Finish reasons: every server's words mapped onto one set, the original kept beside it."""

from __future__ import annotations

from modelplex import FinishReason

FINISH_REASONS: dict[str, FinishReason] = {
    "stop": FinishReason.STOP,
    "eos": FinishReason.STOP,
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "max_tokens": FinishReason.LENGTH,
    "model_length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "tool_use": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
    "error": FinishReason.ERROR,
    "insufficient_system_resource": FinishReason.ERROR,
}


def map_finish_reason(raw: str | None) -> FinishReason:
    """The canonical reason for a server's ``finish_reason``; anything unknown is ``OTHER``."""
    if raw is None:
        return FinishReason.OTHER
    return FINISH_REASONS.get(raw.lower(), FinishReason.OTHER)
