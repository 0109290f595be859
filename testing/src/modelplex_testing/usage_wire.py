"""Usage objects as providers send them (Hypothesis), and the check every plugin's usage must pass.

Unlike :mod:`modelplex_testing.strategies`, these build *wire* JSON, odd values included: a count may
be missing, ``null``, a bool, negative, a float or a string, and a reported total may agree with its
parts under one convention, under another, or under none. The property, for every plugin::

    @given(usage_wire.chat_completions())
    def test_usage_reconciles(raw):
        usage, warnings = read_usage(raw)
        assert usage_wire.problems(usage, warnings,
                                   prompt_tokens=(raw.get("prompt_tokens"), [usage.total_input])) == []

:func:`problems` names each negative bucket, and each reported total (a non-negative integer) that
matches none of the values derived from the buckets while no ``usage-mismatch`` warning says why.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from hypothesis import strategies as st

from modelplex import ProviderWarning, Usage

__all__ = ["anthropic", "chat_completions", "gemini", "is_count", "ollama", "problems", "responses"]

_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")


def is_count(value: Any) -> bool:
    """A value a provider could mean as a token count: a non-negative integer, not a bool."""
    return type(value) is int and value >= 0


def problems(usage: Usage, warnings: Iterable[ProviderWarning],
             **reported: tuple[Any, Collection[int]]) -> list[str]:
    """What is wrong with ``usage``: negative buckets, and each ``name=(value, derived)`` whose value
    is a count found in none of ``derived``, unless a ``usage-mismatch`` warning was given."""
    found = [f"{name} = {getattr(usage, name)} < 0" for name in _BUCKETS if getattr(usage, name) < 0]
    if usage.reported_cost is not None and usage.reported_cost < 0:
        found.append(f"reported_cost = {usage.reported_cost} < 0")
    warned = any(w.code == "usage-mismatch" for w in warnings)
    for name, (value, derived) in reported.items():
        if is_count(value) and value not in derived and not warned:
            found.append(f"{name} = {value} is none of {sorted(derived)}, and no warning says why")
    return found


def _counts(limit: int = 10**6) -> st.SearchStrategy[Any]:
    """Mostly counts, sometimes what a broken server sends instead."""
    good = st.integers(0, limit)
    odd = st.one_of(st.none(), st.booleans(), st.integers(-1000, -1), st.floats(allow_nan=True),
                    st.text(max_size=3))
    return st.one_of(good, good, good, odd)


def _details(**keys: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.fixed_dictionaries({}, optional=keys), st.none(), st.just([]))


def _total(parts: Iterable[Any], draw: st.DrawFn) -> Any:
    """A total: the sum of some of ``parts`` (a convention), or anything at all."""
    summed = sum(p for p in parts if is_count(p))
    return draw(st.one_of(st.just(summed), _counts(4 * 10**6)))


def _without(raw: dict[str, Any], absent: Iterable[str]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in set(absent)}


@st.composite
def chat_completions(draw: st.DrawFn) -> dict[str, Any]:
    """A Chat Completions ``usage`` object: OpenAI's, DeepSeek's, OpenRouter's (cache writes, cost),
    xAI's (reasoning beside the completion), Groq's."""
    prompt, completion = draw(_counts()), draw(_counts())
    cached, written, reasoning = draw(_counts()), draw(_counts()), draw(_counts())
    raw: dict[str, Any] = {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "prompt_tokens_details": draw(st.one_of(
            st.just({"cached_tokens": cached, "cache_write_tokens": written}),
            _details(cached_tokens=_counts(), cache_write_tokens=_counts()))),
        "completion_tokens_details": draw(st.one_of(st.just({"reasoning_tokens": reasoning}),
                                                    _details(reasoning_tokens=_counts()))),
        "prompt_cache_hit_tokens": draw(_counts()),
        "cost": draw(st.one_of(st.floats(min_value=0, max_value=100), _counts())),
        "cost_in_usd_ticks": draw(_counts(10**12)),
        "is_byok": draw(st.one_of(st.booleans(), st.none())),
        "cost_details": draw(_details(upstream_inference_cost=st.one_of(
            st.floats(min_value=0, max_value=100), _counts()))),
    }
    # A total under OpenAI's convention (reasoning within the completion) or xAI's (beside it).
    beside = draw(st.booleans())
    raw["total_tokens"] = _total([prompt, completion, reasoning] if beside else [prompt, completion],
                                 draw)
    absent = draw(st.sets(st.sampled_from(sorted(raw))))
    return _without(raw, absent)


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    """A Responses API ``usage`` object (OpenAI's, OpenRouter's with ``cost``, xAI's with ticks)."""
    given, taken = draw(_counts()), draw(_counts())
    raw: dict[str, Any] = {
        "input_tokens": given, "output_tokens": taken,
        "input_tokens_details": draw(_details(cached_tokens=_counts(), cache_write_tokens=_counts())),
        "output_tokens_details": draw(_details(reasoning_tokens=_counts())),
        "cost": draw(st.one_of(st.floats(min_value=0, max_value=100), _counts())),
        "cost_in_usd_ticks": draw(_counts(10**12)),
    }
    raw["total_tokens"] = _total([given, taken], draw)
    absent = draw(st.sets(st.sampled_from(sorted(raw))))
    return _without(raw, absent)


@st.composite
def anthropic(draw: st.DrawFn) -> dict[str, Any]:
    """A Messages API ``usage`` object: cache writes split by lifetime (or not), thinking tokens."""
    five, hour = draw(_counts()), draw(_counts())
    written = draw(st.one_of(st.just(sum(c for c in (five, hour) if is_count(c))), _counts()))
    raw: dict[str, Any] = {
        "input_tokens": draw(_counts()), "output_tokens": draw(_counts()),
        "cache_read_input_tokens": draw(_counts()), "cache_creation_input_tokens": written,
        "cache_creation": draw(st.one_of(
            st.just({"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}),
            _details(ephemeral_5m_input_tokens=_counts(), ephemeral_1h_input_tokens=_counts()))),
        "output_tokens_details": draw(_details(thinking_tokens=_counts())),
    }
    absent = draw(st.sets(st.sampled_from(sorted(raw))))
    return _without(raw, absent)


@st.composite
def gemini(draw: st.DrawFn) -> dict[str, Any]:
    """A ``usageMetadata`` object."""
    prompt, tool, out, thoughts = (draw(_counts()) for _ in range(4))
    raw: dict[str, Any] = {
        "promptTokenCount": prompt, "toolUsePromptTokenCount": tool, "candidatesTokenCount": out,
        "thoughtsTokenCount": thoughts, "cachedContentTokenCount": draw(_counts()),
    }
    raw["totalTokenCount"] = _total([prompt, tool, out, thoughts], draw)
    absent = draw(st.sets(st.sampled_from(sorted(raw))))
    return _without(raw, absent)


@st.composite
def ollama(draw: st.DrawFn) -> dict[str, Any]:
    """The counts of Ollama's last reply object."""
    raw = {"prompt_eval_count": draw(_counts()), "eval_count": draw(_counts())}
    absent = draw(st.sets(st.sampled_from(sorted(raw))))
    return _without(raw, absent)
