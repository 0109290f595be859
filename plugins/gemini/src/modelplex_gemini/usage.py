"""``usageMetadata`` in Modelplex's disjoint buckets, checked against ``totalTokenCount``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ProviderWarning, Usage


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0  # a bool is not a count


def _warning(message: str) -> ProviderWarning:
    return ProviderWarning(code="usage-mismatch", field="usageMetadata", message=message)


def read_usage(meta: Mapping[str, Any]) -> tuple[Usage, list[ProviderWarning]]:
    """``input`` is ``promptTokenCount`` less ``cachedContentTokenCount`` (which is part of it), plus
    ``toolUsePromptTokenCount``; ``cache_read`` the cached tokens; ``output`` is
    ``candidatesTokenCount`` and ``reasoning`` ``thoughtsTokenCount``, which Gemini already counts
    apart (``totalTokenCount`` is their sum), so neither is counted twice.

    More cached tokens than the prompt are held to the prompt; that, and a ``totalTokenCount`` the
    buckets do not add up to, is a ``usage-mismatch`` warning.
    """
    warnings: list[ProviderWarning] = []
    prompt, cached = _int(meta.get("promptTokenCount")), _int(meta.get("cachedContentTokenCount"))
    if cached > prompt:
        warnings.append(_warning(f"cachedContentTokenCount {cached} is more than promptTokenCount "
                                 f"{prompt}, which it is part of; counted as at most the prompt"))
        cached = prompt
    usage = Usage(input=prompt - cached + _int(meta.get("toolUsePromptTokenCount")), cache_read=cached,
                  output=_int(meta.get("candidatesTokenCount")),
                  reasoning=_int(meta.get("thoughtsTokenCount")))
    total = meta.get("totalTokenCount")
    if type(total) is int and total >= 0 and total != usage.total:
        warnings.append(_warning(f"totalTokenCount is {total}, but the counts add up to "
                                 f"{usage.total}"))
    return usage, warnings


def usage_from(meta: Mapping[str, Any]) -> Usage:
    """The buckets of :func:`read_usage`, without its warnings."""
    return read_usage(meta)[0]
