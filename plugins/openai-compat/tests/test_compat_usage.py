"""Usage buckets from real responses, checked against the totals the server reported, and the
estimate for when there are none."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from compat_helpers import BASE, KEY, make_call, recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai_compat import (
    CompatConfig,
    Profile,
    compat_plugin,
    estimate,
    parse_usage,
    read_usage,
    usage_from,
)

import modelplex
from modelplex import Message, Usage, UsageReported, WarningRaised
from modelplex_testing import usage_wire
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_events, sse_reply


def _codes(warnings: list[Any]) -> list[str]:
    return [w.code for w in warnings]


def test_openai_usage() -> None:
    counted = parse_usage(make_call(), recording("openai/01_chat_text").response["body"])
    assert counted == (Usage(input=24, output=8), [])


def test_cached_and_reasoning_tokens_are_their_own_buckets() -> None:
    raw = {"prompt_tokens": 100, "completion_tokens": 50,
           "prompt_tokens_details": {"cached_tokens": 60},
           "completion_tokens_details": {"reasoning_tokens": 30}}
    usage = usage_from(raw)
    assert usage == Usage(input=40, cache_read=60, output=20, reasoning=30)
    assert usage.total_input == 100 and usage.total_output == 50


def test_deepseek_cache_hit_tokens() -> None:
    assert usage_from({"prompt_tokens": 12, "completion_tokens": 1, "prompt_cache_hit_tokens": 8,
                       "prompt_cache_miss_tokens": 4}) == Usage(input=4, cache_read=8, output=1)
    body = recording("deepseek/03_reasoning_parallel_tool_calls").response["body"]
    assert parse_usage(make_call(), body) == (Usage(input=875, output=53, reasoning=26), [])


def test_groq_usage_in_x_groq() -> None:
    assert parse_usage(make_call(), {"x_groq": {"usage": {"prompt_tokens": 3, "completion_tokens": 2}}}
                       ) == (Usage(input=3, output=2), [])


def test_together_top_level_cached_tokens() -> None:
    body = recording("together/04_tool_call_deepseek_r1").response["body"]
    assert parse_usage(make_call(), body) == (Usage(input=19, output=29), [])


def test_more_cached_than_prompt_is_held_to_the_prompt_and_said() -> None:
    """azure/03 (xAI through Azure) reports 387 cached of 293 prompt tokens."""
    body = recording("azure/03_foundry_parallel_tool_calls").response["body"]
    counted = parse_usage(make_call(), body)
    assert counted is not None
    usage, warnings = counted
    assert usage == Usage(input=0, cache_read=293, output=58)
    assert _codes(warnings) == ["usage-mismatch"] and "387 cached" in warnings[0].message


def test_no_usage() -> None:
    assert parse_usage(make_call(), {"choices": []}) is None
    assert parse_usage(make_call(), {"usage": None}) is None


def test_estimate_is_about_four_characters_a_token_and_marked() -> None:
    usage = estimate([Message.user("x" * 40)], output_chars=9, reasoning_chars=4)
    assert usage == Usage(input=10, output=3, reasoning=1, estimated=True)


# --- issue 12: cache writes, reasoning beside the completion, reported cost ----------------------


def test_openrouter_cache_writes_are_not_plain_input() -> None:
    """OpenRouter (Claude) wrote 3,211 of 3,214 prompt tokens to the cache: 3 input, not 3,214."""
    raw = recording("openrouter/02_cache_write_cost").response["body"]["usage"]
    usage, warnings = read_usage(raw)
    assert usage == Usage(input=3, cache_write=3211, output=100,
                          reported_cost=Decimal("0.01355025"))
    assert usage.total == raw["total_tokens"] == 3314 and warnings == []


def test_openrouter_cache_read_and_write_in_one_reply() -> None:
    raw = recording("openrouter/03_cache_read_and_write_cost").response["body"]["usage"]
    usage, warnings = read_usage(raw)
    assert usage == Usage(input=3, cache_read=3211, cache_write=115, output=53,
                          reported_cost=Decimal("0.00219855"))
    assert usage.total == raw["total_tokens"] and warnings == []


def test_openrouter_byok_cost_is_the_fee_and_the_upstream_cost() -> None:
    """Recording 02's usage as OpenRouter words a call on the user's own key (``is_byok``: its fee in
    ``cost``, the provider's bill in ``cost_details``; a derived case, no public recording of one was
    found). Without BYOK, upstream_inference_cost repeats cost (as recorded) and is not added."""
    raw = recording("openrouter/02_cache_write_cost").response["body"]["usage"]
    assert raw["cost"] == raw["cost_details"]["upstream_inference_cost"] and raw["is_byok"] is False
    assert usage_from(raw).reported_cost == Decimal("0.01355025")
    byok = {**raw, "is_byok": True, "cost": 0}
    assert usage_from(byok).reported_cost == Decimal("0.01355025")
    assert usage_from({**byok, "cost": 0.0005}).reported_cost == Decimal("0.01405025")
    assert usage_from({**byok, "cost_details": {}}).reported_cost is None  # the bill is unknown, not 0


def test_xai_reasoning_beside_the_completion_is_decided_from_the_total() -> None:
    """xAI: total 254 = 137 prompt + 1 completion + 116 reasoning (read as OpenAI's convention, the
    reply was 138 tokens: 0 output and 1 reasoning)."""
    raw = recording("xai/01_text_reasoning_beside_completion").response["body"]["usage"]
    usage, warnings = read_usage(raw)
    assert usage == Usage(input=9, cache_read=128, output=1, reasoning=116,
                          reported_cost=Decimal("0.00032935"))  # 3,293,500 ticks of 1e-10 USD
    assert usage.total == raw["total_tokens"] == 254 and warnings == []


def test_the_profile_flag_decides_without_the_total() -> None:
    raw = {"prompt_tokens": 10, "completion_tokens": 5,
           "completion_tokens_details": {"reasoning_tokens": 3}}
    assert usage_from(raw) == Usage(input=10, output=2, reasoning=3)  # fits inside: OpenAI's way
    assert usage_from(raw, reasoning_in_completion=False) == Usage(input=10, output=5, reasoning=3)
    counted = parse_usage(make_call(Profile(reasoning_in_completion=False)), {"usage": raw})
    assert counted == (Usage(input=10, output=5, reasoning=3), [])


def test_a_flag_the_totals_contradict_is_said() -> None:
    raw = recording("xai/01_text_reasoning_beside_completion").response["body"]["usage"]
    usage, warnings = read_usage(raw, reasoning_in_completion=True)
    assert usage.total == 138  # what the flag says, held to the completion count ...
    assert _codes(warnings) == ["usage-mismatch", "usage-mismatch"]  # ... and why it is not 254
    assert "total_tokens=254" in warnings[1].message


def test_reported_cost_is_none_when_unsaid_and_never_a_float() -> None:
    assert usage_from({"prompt_tokens": 1}).reported_cost is None
    assert usage_from({"prompt_tokens": 1, "cost": "0.1"}).reported_cost is None
    assert usage_from({"prompt_tokens": 1, "cost": -1.0}).reported_cost is None
    assert usage_from({"prompt_tokens": 1, "cost": True}).reported_cost is None
    assert usage_from({"prompt_tokens": 1, "cost": 0}).reported_cost == Decimal(0)  # free is known
    assert usage_from({"prompt_tokens": 1, "cost": 0.1}).reported_cost == Decimal("0.1")
    # Azure AI Foundry passes Grok's body on with cost_in_usd_ticks 0 and bills the call itself.
    body = recording("azure/04_foundry_stream_text").response["body_text"]
    assert '"cost_in_usd_ticks": 0}' in body
    assert usage_from({"prompt_tokens": 1, "cost_in_usd_ticks": 0}).reported_cost is None


def _on_the_wire(name: str, profile: Profile | None = None) -> tuple[list[Any], Any]:
    """The recording served by a loopback server to a client whose ``acme`` provider is compat
    with ``profile``: the streamed events (none for a whole reply) and the response."""
    rec = recording(name)
    response = rec.response
    streamed = "body_text" in response
    reply = (sse_reply(sse_events(response["body_text"])) if streamed
             else Reply.json(response["body"]))
    plugin = compat_plugin(CompatConfig(name="Acme", default_base_url=BASE), profile or Profile())
    with ScriptedServer([reply]) as server, modelplex.Client(
            plugins={"acme": plugin}, autoload=False, config_file=False, env={},
            providers={"acme": {"api_key": KEY, "base_url": server.url}}) as client:
        if not streamed:
            return [], client.chat("acme/m-1", "hi")
        with client.stream("acme/m-1", "hi") as stream:
            events = list(stream)
        return events, stream.response


def test_xai_stream_counts_the_reasoning_it_billed() -> None:
    """The last chunk of an xAI stream: 137 + 7 + 126 = 270 (read the OpenAI way: 144)."""
    events, response = _on_the_wire("xai/02_stream_reasoning_beside_completion")
    [reported] = [e.usage for e in events if isinstance(e, UsageReported)]
    assert reported == response.usage == Usage(input=9, cache_read=128, output=7, reasoning=126,
                                               reported_cost=Decimal("0.00036935"))
    assert response.usage.total == 270
    assert not [e for e in events if isinstance(e, WarningRaised)] and response.warnings == ()


def test_openrouter_reply_keeps_cache_writes_and_cost_on_the_wire() -> None:
    _, response = _on_the_wire("openrouter/02_cache_write_cost")
    assert response.usage == Usage(input=3, cache_write=3211, output=100,
                                   reported_cost=Decimal("0.01355025"))
    assert response.warnings == ()


def test_a_reply_whose_counts_do_not_add_up_warns_on_the_wire() -> None:
    """The xAI reply with a profile that says OpenAI's convention: the mismatch is on the response,
    and in a stream a ``WarningRaised`` before the usage."""
    _, response = _on_the_wire("xai/01_text_reasoning_beside_completion",
                               Profile(reasoning_in_completion=True))
    assert "usage-mismatch" in [w.code for w in response.warnings]
    events, streamed = _on_the_wire("xai/02_stream_reasoning_beside_completion",
                                    Profile(reasoning_in_completion=True))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("WarningRaised") < kinds.index("UsageReported")
    assert "usage-mismatch" in [w.code for w in streamed.warnings]


@given(usage_wire.chat_completions(), st.sampled_from([None, True, False]))
def test_every_usage_object_reconciles_or_says_why(raw: dict[str, Any], flag: bool | None) -> None:
    """For any usage a server may send and any profile: the buckets are non-negative and add up to
    every total it reported (prompt, completion under either convention, total), or a warning says
    why not."""
    usage, warnings = read_usage(raw, reasoning_in_completion=flag)
    assert usage_wire.problems(
        usage, warnings,
        prompt_tokens=(raw.get("prompt_tokens"), [usage.total_input]),
        completion_tokens=(raw.get("completion_tokens"), [usage.total_output, usage.output]),
        total_tokens=(raw.get("total_tokens"), [usage.total])) == []
