"""usageMetadata in disjoint buckets: cached tokens out of input, thoughts apart, nothing twice."""

from __future__ import annotations

from gemini_helpers import recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_gemini.usage import usage_from

from modelplex import Usage


def test_recorded_usage() -> None:
    meta = recording("02_parallel_function_calls").response["body"]["usageMetadata"]
    usage = usage_from(meta)
    assert usage == Usage(input=143, output=44, reasoning=109)
    assert usage.total == meta["totalTokenCount"]


def test_cached_and_tool_use_tokens() -> None:
    usage = usage_from({"promptTokenCount": 1000, "cachedContentTokenCount": 800,
                        "toolUsePromptTokenCount": 50, "candidatesTokenCount": 20,
                        "thoughtsTokenCount": 30, "totalTokenCount": 1100})
    assert usage == Usage(input=250, cache_read=800, output=20, reasoning=30)
    assert usage.total == 1100


def test_missing_and_odd_counts() -> None:
    assert usage_from({}) == Usage()
    assert usage_from({"promptTokenCount": 5, "cachedContentTokenCount": 9}) == Usage(cache_read=5)
    assert usage_from({"promptTokenCount": True, "candidatesTokenCount": -3,
                       "thoughtsTokenCount": "7"}) == Usage()


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**6), st.integers(0, 10**6),
       st.integers(0, 10**6))
def test_buckets_add_up_to_geminis_total(prompt: int, cached: int, tool: int, out: int,
                                         thoughts: int) -> None:
    cached = min(cached, prompt)
    meta = {"promptTokenCount": prompt, "cachedContentTokenCount": cached,
            "toolUsePromptTokenCount": tool, "candidatesTokenCount": out,
            "thoughtsTokenCount": thoughts, "totalTokenCount": prompt + tool + out + thoughts}
    usage = usage_from(meta)
    assert usage.total == meta["totalTokenCount"]
    assert usage.cache_read == cached and usage.reasoning == thoughts and usage.output == out
