"""Anthropic's ``usage`` in Modelplex's disjoint buckets.

Anthropic's counts are disjoint already: ``input_tokens`` excludes what was read from or written to
the cache. Cache writes are split by lifetime where ``cache_creation`` says so (a one-hour write is
priced apart from a five-minute one), and ``output_tokens_details.thinking_tokens``, part of
``output_tokens``, is reasoning.
"""

from __future__ import annotations

from typing import Any

from modelplex import ProviderWarning, Usage
from modelplex.toolkit import is_object
from modelplex.toolkit.usage import count, usage_mismatch


def read_usage(raw: Any) -> tuple[Usage, list[ProviderWarning]] | None:
    """The buckets of a ``usage`` object and a warning for each count that does not add up with
    the others, or ``None`` when ``raw`` is not an object.

    ``cache_creation_input_tokens`` is the total of the writes; ``cache_creation`` splits it into
    ``ephemeral_5m_input_tokens`` (:attr:`Usage.cache_write`) and ``ephemeral_1h_input_tokens``
    (:attr:`Usage.cache_write_1h`). Where the split and the total disagree the total is kept and the
    one-hour part held to it; thinking beyond ``output_tokens`` is held to it too.
    """
    if not is_object(raw):
        return None
    warnings: list[ProviderWarning] = []
    written = count(raw.get("cache_creation_input_tokens"))
    lifetimes = raw.get("cache_creation")
    hour = five = 0
    if is_object(lifetimes):
        five = count(lifetimes.get("ephemeral_5m_input_tokens"))
        hour = count(lifetimes.get("ephemeral_1h_input_tokens"))
        if five + hour != written:
            warnings.append(usage_mismatch(
                f"cache_creation splits {five + hour} written tokens ({five} for 5 minutes, {hour} "
                f"for 1 hour) but cache_creation_input_tokens is {written}; the total is kept"))
            hour = min(hour, written)
    output = count(raw.get("output_tokens"))
    details = raw.get("output_tokens_details")
    thinking = count(details.get("thinking_tokens")) if is_object(details) else 0
    if thinking > output:
        warnings.append(usage_mismatch(f"{thinking} thinking tokens reported within {output} output "
                                 f"tokens; counted as at most those"))
        thinking = output
    usage = Usage(input=count(raw.get("input_tokens")), cache_read=count(raw.get("cache_read_input_tokens")),
                  cache_write=written - hour, cache_write_1h=hour, output=output - thinking,
                  reasoning=thinking)
    return usage, warnings


def usage_of(raw: Any) -> Usage | None:
    """The buckets of :func:`read_usage` without its warnings, or ``None``."""
    counted = read_usage(raw)
    return counted[0] if counted is not None else None
