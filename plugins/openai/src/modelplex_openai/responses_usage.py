"""The Responses API's ``usage`` in Modelplex's disjoint buckets, checked against its totals."""

from __future__ import annotations

from typing import Any

from modelplex_openai_compat import reported_cost

from modelplex import ProviderWarning, Usage
from modelplex.toolkit import is_object
from modelplex.toolkit.usage import count, usage_mismatch


def read_responses_usage(raw: Any) -> tuple[Usage, list[ProviderWarning]] | None:
    """``input_tokens`` less cached reads and cache writes; ``output_tokens`` less reasoning; a
    usage that is not an object is none, and a count that is not a positive integer is 0.

    Cached or written tokens beyond ``input_tokens``, or reasoning beyond ``output_tokens``, are held
    to it; that, and a ``total_tokens`` the buckets do not add up to, is a ``usage-mismatch``
    warning. A cost the server reports (xAI's ``cost_in_usd_ticks``) is kept as ``reported_cost``.
    """
    if not is_object(raw):
        return None
    warnings: list[ProviderWarning] = []
    total_in, total_out = count(raw.get("input_tokens")), count(raw.get("output_tokens"))
    details = raw.get("input_tokens_details")
    details = details if is_object(details) else {}
    cached, written = count(details.get("cached_tokens")), count(details.get("cache_write_tokens"))
    if cached + written > total_in:
        warnings.append(usage_mismatch(f"the server reported {cached} cached and {written} cache-written "
                                 f"of {total_in} input tokens; counted as at most the input"))
        cached = min(cached, total_in)
        written = min(written, total_in - cached)
    out_details = raw.get("output_tokens_details")
    reasoning = count(out_details.get("reasoning_tokens")) if is_object(out_details) else 0
    if reasoning > total_out:
        warnings.append(usage_mismatch(f"the server reported {reasoning} reasoning tokens within "
                                 f"{total_out} output tokens; counted as at most those"))
        reasoning = total_out
    usage = Usage(input=total_in - cached - written, cache_read=cached, cache_write=written,
                  output=total_out - reasoning, reasoning=reasoning, reported_cost=reported_cost(raw))
    total = raw.get("total_tokens")
    if type(total) is int and total >= 0 and total != usage.total:
        warnings.append(usage_mismatch(f"the server reported total_tokens={total}, but its counts add up "
                                 f"to {usage.total}"))
    return usage, warnings


def responses_usage(raw: Any) -> Usage | None:
    """The buckets of :func:`read_responses_usage` without its warnings, or ``None``."""
    counted = read_responses_usage(raw)
    return counted[0] if counted is not None else None
