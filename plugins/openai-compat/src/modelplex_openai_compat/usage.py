"""Token counts into disjoint buckets; the estimate for when a server gives none is the toolkit's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import Usage
from modelplex.toolkit import is_object
from modelplex.toolkit.usage import estimate, estimate_input, tokens

__all__ = ["estimate", "estimate_input", "parse_usage", "tokens", "usage_from"]


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0  # a bool is not a count


def usage_from(raw: Mapping[str, Any]) -> Usage:
    """A ``usage`` object as buckets.

    ``input`` is ``prompt_tokens`` less cached tokens (``prompt_tokens_details.cached_tokens``, or
    DeepSeek's ``prompt_cache_hit_tokens``); ``output`` is ``completion_tokens`` less
    ``completion_tokens_details.reasoning_tokens``. A server that reports more cached or reasoning
    tokens than its total is held to its total, so the buckets always add up to what it billed.
    """
    prompt = _int(raw.get("prompt_tokens"))
    completion = _int(raw.get("completion_tokens"))
    details = raw.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if is_object(details) else 0
    cached = cached or _int(raw.get("prompt_cache_hit_tokens")) or _int(raw.get("cached_tokens"))
    out_details = raw.get("completion_tokens_details")
    reasoning = _int(out_details.get("reasoning_tokens")) if is_object(out_details) else 0
    cached, reasoning = min(cached, prompt), min(reasoning, completion)
    return Usage(input=prompt - cached, cache_read=cached, output=completion - reasoning,
                 reasoning=reasoning)


def parse_usage(data: Mapping[str, Any]) -> Usage | None:
    """The usage of a response or stream chunk, or ``None`` when it carries none.

    Reads ``usage``, or Groq's ``x_groq.usage``.
    """
    raw = data.get("usage")
    if raw is None or not is_object(raw):  # most chunks say "usage": null: no ABC check for that
        groq = data.get("x_groq")
        raw = groq.get("usage") if groq is not None and is_object(groq) else None
        if raw is None or not is_object(raw):
            return None
    return usage_from(raw)
