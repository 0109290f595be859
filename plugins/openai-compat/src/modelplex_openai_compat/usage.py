"""Token counts into disjoint buckets, checked against the totals the server reported; the estimate
for when a server gives none is the toolkit's."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from modelplex import ProviderWarning, Usage
from modelplex.toolkit import is_object
from modelplex.toolkit.usage import count, estimate, estimate_input, tokens, usage_mismatch

if TYPE_CHECKING:
    from modelplex_openai_compat.call import Call

__all__ = ["estimate", "estimate_input", "parse_usage", "read_usage", "reported_cost", "tokens",
           "usage_from"]

# xAI's ``cost_in_usd_ticks``: a tick is 1e-10 USD (the unit crmne/ruby_llm's xAI provider uses too).
_USD_PER_TICK = Decimal("1E-10")


def _detail(raw: Mapping[str, Any], field: str, key: str) -> int:
    details = raw.get(field)
    return count(details.get(key)) if is_object(details) else 0


def _money(value: Any) -> Decimal | None:
    # JSON numbers arrive as float or int; repr gives back the decimal text the server wrote.
    if type(value) is int and value >= 0:
        return Decimal(value)
    if type(value) is float and math.isfinite(value) and value >= 0:
        return Decimal(repr(value))
    return None


def reported_cost(raw: Mapping[str, Any]) -> Decimal | None:
    """What the server said the call cost: OpenRouter's ``cost`` (credits, in US dollars; 0 for a
    free model) or xAI's ``cost_in_usd_ticks`` (more than 0); ``None`` when it said nothing usable.

    With the user's own provider key (OpenRouter's ``is_byok``), ``cost`` is only OpenRouter's fee
    and the provider bills the key ``cost_details.upstream_inference_cost``: the call cost both,
    and nothing known without the second. (Otherwise ``upstream_inference_cost`` repeats ``cost``.)
    """
    cost = _money(raw.get("cost"))
    if cost is not None and raw.get("is_byok") is True:
        details = raw.get("cost_details")
        upstream = _money(details.get("upstream_inference_cost")) if is_object(details) else None
        return cost + upstream if upstream is not None else None
    if cost is not None:
        return cost
    ticks = raw.get("cost_in_usd_ticks")
    # Zero ticks is what Azure AI Foundry passes on from Grok, which Azure bills itself: no cost said.
    return Decimal(ticks) * _USD_PER_TICK if type(ticks) is int and ticks > 0 else None


def _reasoning_beside(prompt: int, completion: int, reasoning: int, total: int | None,
                      flag: bool | None) -> bool:
    """Whether ``reasoning_tokens`` are counted beside ``completion_tokens`` rather than in them."""
    if flag is not None:
        return not flag
    if not reasoning:
        return False
    if total is not None:
        # Only the server's own total tells the conventions apart; when it fits neither, the one
        # the counts allow is kept and the mismatch is reported.
        if total == prompt + completion + reasoning and total != prompt + completion:
            return True
        if total == prompt + completion:
            return False
    return reasoning > completion  # cannot be a part of fewer tokens


def read_usage(raw: Mapping[str, Any], *, reasoning_in_completion: bool | None = None,
               ) -> tuple[Usage, list[ProviderWarning]]:
    """A ``usage`` object as buckets, with a warning for every count that does not add up.

    ``input`` is ``prompt_tokens`` less cached reads (``prompt_tokens_details.cached_tokens``,
    DeepSeek's ``prompt_cache_hit_tokens``) and cache writes (``cache_write_tokens``, OpenRouter).
    ``reasoning_tokens`` are part of ``completion_tokens`` (OpenAI) or beside them (xAI:
    ``total_tokens = prompt + completion + reasoning``): ``reasoning_in_completion`` says which,
    ``None`` decides from ``total_tokens``. Cached, written or reasoning tokens beyond the total they
    are part of are held to it, with a warning; so is a ``total_tokens`` the buckets do not add up to.
    """
    prompt = count(raw.get("prompt_tokens"))
    completion = count(raw.get("completion_tokens"))
    total_raw = raw.get("total_tokens")
    total = total_raw if type(total_raw) is int and total_raw >= 0 else None
    cached = (_detail(raw, "prompt_tokens_details", "cached_tokens")
              or count(raw.get("prompt_cache_hit_tokens")) or count(raw.get("cached_tokens")))
    written = _detail(raw, "prompt_tokens_details", "cache_write_tokens")
    reasoning = _detail(raw, "completion_tokens_details", "reasoning_tokens")
    warnings: list[ProviderWarning] = []
    if cached + written > prompt:
        warnings.append(usage_mismatch(f"the server reported {cached} cached and {written} cache-written "
                                 f"of {prompt} prompt tokens; counted as at most the prompt"))
        cached = min(cached, prompt)
        written = min(written, prompt - cached)
    if _reasoning_beside(prompt, completion, reasoning, total, reasoning_in_completion):
        output = completion
    else:
        if reasoning > completion:
            warnings.append(usage_mismatch(f"the server reported {reasoning} reasoning tokens within "
                                     f"{completion} completion tokens; counted as at most those"))
            reasoning = completion
        output = completion - reasoning
    usage = Usage(input=prompt - cached - written, cache_read=cached, cache_write=written,
                  output=output, reasoning=reasoning, reported_cost=reported_cost(raw))
    if total is not None and total != usage.total:
        warnings.append(usage_mismatch(f"the server reported total_tokens={total}, but its counts add up to "
                                 f"{usage.total} (input {usage.total_input}, output "
                                 f"{usage.output}, reasoning {usage.reasoning})"))
    return usage, warnings


def usage_from(raw: Mapping[str, Any], *, reasoning_in_completion: bool | None = None) -> Usage:
    """The buckets of :func:`read_usage`, without its warnings."""
    return read_usage(raw, reasoning_in_completion=reasoning_in_completion)[0]


def _usage_object(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    raw = data.get("usage")
    if raw is None or not is_object(raw):  # most chunks say "usage": null: no ABC check for that
        groq = data.get("x_groq")
        raw = groq.get("usage") if groq is not None and is_object(groq) else None
        if raw is None or not is_object(raw):
            return None
    return raw


def parse_usage(call: Call, data: Mapping[str, Any]) -> tuple[Usage, list[ProviderWarning]] | None:
    """The usage of a response or stream chunk and its warnings, or ``None`` when it carries none.

    Reads ``usage``, or Groq's ``x_groq.usage``, by :func:`read_usage` with the profile's
    ``reasoning_in_completion``.
    """
    raw = _usage_object(data)
    if raw is None:
        return None
    return read_usage(raw, reasoning_in_completion=call.profile.reasoning_in_completion)
