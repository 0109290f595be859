"""Gemini's ``finishReason`` (and a prompt blocked before any reply) as a :class:`FinishReason`."""

from __future__ import annotations

from modelplex import FinishReason, ProviderWarning

# The reply was withheld or cut by a filter: safety, recitation (copyright), blocklists, personal data.
FILTERED = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                      "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})
# The model failed at calling a function.
FAILED = frozenset({"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"})


def map_finish(raw: str | None, *, tool_calls: bool = False,
               message: str | None = None) -> tuple[FinishReason, ProviderWarning | None]:
    """The reason, and a warning when the reply was filtered or failed (with Gemini's
    ``finishMessage`` when it gave one).

    ``STOP`` is ``tool_calls`` when the reply holds function calls (Gemini says ``STOP`` either way),
    ``MAX_TOKENS`` is ``length``; the filters are ``content_filter``; a malformed function call is
    ``error``; anything else (``OTHER``, ``LANGUAGE``, a reason added later) is ``other``.
    """
    detail = f": {message}" if message else ""
    if raw == "STOP":
        return (FinishReason.TOOL_CALLS if tool_calls else FinishReason.STOP), None
    if raw == "MAX_TOKENS":
        return FinishReason.LENGTH, None
    if raw in FILTERED:
        return FinishReason.CONTENT_FILTER, ProviderWarning(
            code="content-filtered", field="finish_reason",
            message=f"Gemini stopped the reply ({raw}){detail}")
    if raw in FAILED:
        return FinishReason.ERROR, ProviderWarning(
            code="tool-call-failed", field="finish_reason",
            message=f"Gemini could not make a valid function call ({raw}){detail}")
    return FinishReason.OTHER, None


def blocked(reason: str, message: str | None = None) -> ProviderWarning:
    """The warning for a prompt Gemini refused to answer (``promptFeedback.blockReason``)."""
    detail = f": {message}" if message else ""
    return ProviderWarning(code="content-filtered", field="prompt",
                           message=f"Gemini blocked the prompt ({reason}){detail}; there is no reply")
