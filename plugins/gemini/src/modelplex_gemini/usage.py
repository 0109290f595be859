"""``usageMetadata`` in Modelplex's disjoint buckets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import Usage


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from(meta: Mapping[str, Any]) -> Usage:
    """``input`` is ``promptTokenCount`` less ``cachedContentTokenCount`` (which is part of it), plus
    ``toolUsePromptTokenCount``; ``cache_read`` the cached tokens; ``output`` is
    ``candidatesTokenCount`` and ``reasoning`` ``thoughtsTokenCount``, which Gemini already counts
    apart (``totalTokenCount`` is their sum), so neither is counted twice.
    """
    prompt = _int(meta.get("promptTokenCount"))
    cached = min(_int(meta.get("cachedContentTokenCount")), prompt)
    return Usage(input=prompt - cached + _int(meta.get("toolUsePromptTokenCount")), cache_read=cached,
                 output=_int(meta.get("candidatesTokenCount")),
                 reasoning=_int(meta.get("thoughtsTokenCount")))
