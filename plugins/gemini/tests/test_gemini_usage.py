"""usageMetadata in disjoint buckets: cached tokens out of input, thoughts apart, nothing twice."""

from __future__ import annotations

import copy
from typing import Any

from gemini_helpers import recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_gemini.usage import read_usage, usage_from

import modelplex
from modelplex import ChatResponse, Usage, UsageReported, WarningRaised
from modelplex_testing import FAKE_KEY, usage_wire
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_reply


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


# --- issue 12: every reported total reconciled, or said ------------------------------------------


def _chat(data: dict[str, Any], *, stream: bool = False) -> tuple[list[Any], ChatResponse]:
    """``data`` on the loopback wire to the installed gemini plugin, whole or as one SSE event."""
    reply = sse_reply([(None, data)]) if stream else Reply.json(data)
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"gemini": {"api_key": FAKE_KEY, "base_url": server.url}}) as client:
        if not stream:
            return [], client.chat("gemini/gemini-2.5-flash", "hi")
        with client.stream("gemini/gemini-2.5-flash", "hi") as events:
            seen = list(events)
        return seen, events.response


def test_recorded_cached_content_and_tool_use_prompt_tokens() -> None:
    """Real replies: 9,609 of 9,622 prompt tokens from an explicit cache; 73 tool-use prompt tokens
    of a grounded reply. Each adds up to its totalTokenCount, with no warning."""
    _, cached = _chat(recording("20_usage_cached_content").response["body"])
    assert cached.usage == Usage(input=13, cache_read=9609, output=35, reasoning=136)
    assert cached.usage.total == 9793
    _, grounded = _chat(recording("21_usage_tool_use_prompt").response["body"])
    assert grounded.usage == Usage(input=83, output=30, reasoning=109)
    assert grounded.usage.total == 222
    assert "usage-mismatch" not in [w.code for w in (*cached.warnings, *grounded.warnings)]


def test_a_total_the_counts_do_not_reach_is_said_whole_and_streamed() -> None:
    data = copy.deepcopy(recording("20_usage_cached_content").response["body"])
    data["usageMetadata"]["totalTokenCount"] = 10_000
    _, response = _chat(data)
    assert "usage-mismatch" in [w.code for w in response.warnings]
    events, streamed = _chat(data, stream=True)
    kinds = [type(e) for e in events]
    assert kinds.index(WarningRaised) < kinds.index(UsageReported)
    assert "usage-mismatch" in [w.code for w in streamed.warnings]


def test_more_cached_than_prompt_is_said() -> None:
    usage, warnings = read_usage({"promptTokenCount": 5, "cachedContentTokenCount": 9})
    assert usage == Usage(cache_read=5) and [w.code for w in warnings] == ["usage-mismatch"]


@given(usage_wire.gemini())
def test_every_usage_object_reconciles_or_says_why(meta: dict[str, Any]) -> None:
    usage, warnings = read_usage(meta)
    tool = meta.get("toolUsePromptTokenCount")
    tool = tool if usage_wire.is_count(tool) else 0
    assert usage_wire.problems(
        usage, warnings,
        promptTokenCount=(meta.get("promptTokenCount"), [usage.total_input - tool]),
        candidatesTokenCount=(meta.get("candidatesTokenCount"), [usage.output]),
        thoughtsTokenCount=(meta.get("thoughtsTokenCount"), [usage.reasoning]),
        totalTokenCount=(meta.get("totalTokenCount"), [usage.total])) == []
