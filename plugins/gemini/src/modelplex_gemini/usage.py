"""``usageMetadata`` in Modelplex's disjoint buckets, checked against ``totalTokenCount``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ProviderWarning, Usage
from modelplex.toolkit.usage import count, usage_mismatch

_FIELD = "usageMetadata"


def read_usage(meta: Mapping[str, Any]) -> tuple[Usage, list[ProviderWarning]]:
    """``input`` is ``promptTokenCount`` less ``cachedContentTokenCount`` (which is part of it), plus
    ``toolUsePromptTokenCount``; ``cache_read`` the cached tokens; ``output`` is
    ``candidatesTokenCount`` and ``reasoning`` ``thoughtsTokenCount``, which Gemini already counts
    apart (``totalTokenCount`` is their sum), so neither is counted twice.

    More cached tokens than the prompt are held to the prompt; that, and a ``totalTokenCount`` the
    buckets do not add up to, is a ``usage-mismatch`` warning.
    """
    warnings: list[ProviderWarning] = []
    prompt, cached = count(meta.get("promptTokenCount")), count(meta.get("cachedContentTokenCount"))
    if cached > prompt:
        warnings.append(usage_mismatch(f"cachedContentTokenCount {cached} is more than promptTokenCount "
                                       f"{prompt}, which it is part of; counted as at most the prompt",
                                       _FIELD))
        cached = prompt
    usage = Usage(input=prompt - cached + count(meta.get("toolUsePromptTokenCount")), cache_read=cached,
                  output=count(meta.get("candidatesTokenCount")),
                  reasoning=count(meta.get("thoughtsTokenCount")))
    total = meta.get("totalTokenCount")
    if type(total) is int and total >= 0 and total != usage.total:
        warnings.append(usage_mismatch(f"totalTokenCount is {total}, but the counts add up to "
                                       f"{usage.total}", _FIELD))
    return usage, warnings


def usage_from(meta: Mapping[str, Any]) -> Usage:
    """The buckets of :func:`read_usage`, without its warnings."""
    return read_usage(meta)[0]
