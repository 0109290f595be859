"""Usage from real Messages API replies: thinking tokens as reasoning, cache writes by lifetime, and
a warning where the counts do not add up (issue 12)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given
from modelplex_anthropic.usage import read_usage

import modelplex
from modelplex import ChatResponse, Usage, UsageReported, WarningRaised
from modelplex_testing import FAKE_KEY, Recording, usage_wire
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_reply

FIXTURES = Path(__file__).parent / "fixtures"


def body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = Recording.load(FIXTURES / f"{name}.json").response["body"]
    return data


def chat(reply: Reply) -> ChatResponse:
    """``reply`` served on the loopback wire to the installed anthropic plugin."""
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"anthropic": {"api_key": FAKE_KEY, "base_url": server.url}}) as client:
        return client.chat("anthropic/claude-sonnet-4-5", "hi")


def test_thinking_tokens_are_reasoning() -> None:
    """12: output_tokens 353 of which output_tokens_details.thinking_tokens 80 (read before as 353
    output and no reasoning)."""
    response = chat(Reply.json(body("12_thinking_tokens_in_usage")))
    assert response.usage == Usage(input=7744, output=273, reasoning=80)
    assert response.usage.total_output == 353
    assert "usage-mismatch" not in [w.code for w in response.warnings]


def test_cache_writes_keep_their_lifetime() -> None:
    """13: 4,513 tokens written for five minutes, 4,332 read."""
    response = chat(Reply.json(body("13_cache_write_by_lifetime")))
    assert response.usage == Usage(input=10, cache_read=4332, cache_write=4513, output=211)
    assert "usage-mismatch" not in [w.code for w in response.warnings]


def test_one_hour_writes_are_their_own_bucket() -> None:
    # Recording 13's usage with its writes moved to the one-hour lifetime (a derived case: no
    # public recording with one-hour writes was found), then split across both.
    usage = copy.deepcopy(body("13_cache_write_by_lifetime")["usage"])
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 4513}
    assert read_usage(usage) == (Usage(input=10, cache_read=4332, cache_write_1h=4513, output=211), [])
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": 13, "ephemeral_1h_input_tokens": 4500}
    counted = read_usage(usage)
    assert counted == (Usage(input=10, cache_read=4332, cache_write=13, cache_write_1h=4500,
                             output=211), [])
    assert counted[0].total_input == 10 + 4332 + 4513


def test_a_split_that_does_not_add_up_is_said_and_the_total_kept() -> None:
    usage = copy.deepcopy(body("13_cache_write_by_lifetime")["usage"])
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 9000}
    counted = read_usage(usage)
    assert counted is not None
    assert counted[0] == Usage(input=10, cache_read=4332, cache_write_1h=4513, output=211)
    assert [w.code for w in counted[1]] == ["usage-mismatch"]
    reply = {**body("13_cache_write_by_lifetime"), "usage": usage}
    assert "usage-mismatch" in [w.code for w in chat(Reply.json(reply)).warnings]


def test_more_thinking_than_output_is_held_to_the_output_and_said() -> None:
    usage = {**body("12_thinking_tokens_in_usage")["usage"],
             "output_tokens_details": {"thinking_tokens": 400}}
    counted = read_usage(usage)
    assert counted is not None
    assert counted[0].reasoning == 353 and counted[0].output == 0
    assert [w.code for w in counted[1]] == ["usage-mismatch"]


def test_a_stream_reports_thinking_and_lifetimes_too() -> None:
    """The streamed form of the same counts: message_start's usage, completed by message_delta."""
    start = {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
        "content": [], "stop_reason": None,
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 4332,
                  "cache_creation_input_tokens": 4513, "output_tokens": 1,
                  "cache_creation": {"ephemeral_5m_input_tokens": 13,
                                     "ephemeral_1h_input_tokens": 4500}}}}
    events = [("message_start", start),
              ("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}}),
              ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                       "delta": {"type": "text_delta", "text": "Hi"}}),
              ("content_block_stop", {"type": "content_block_stop", "index": 0}),
              ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                 "usage": {"output_tokens": 211,
                                           "output_tokens_details": {"thinking_tokens": 80}}}),
              ("message_stop", {"type": "message_stop"})]
    with ScriptedServer([sse_reply(events)]) as server, modelplex.Client(
            providers={"anthropic": {"api_key": FAKE_KEY, "base_url": server.url}}) as client, \
            client.stream("anthropic/claude-sonnet-4-5", "hi") as stream:
        seen = list(stream)
    # message_start's count at once (the input), then message_delta's, which completes it.
    [early, reported] = [e.usage for e in seen if isinstance(e, UsageReported)]
    assert early == Usage(input=10, cache_read=4332, cache_write=13, cache_write_1h=4500, output=1)
    assert reported == Usage(input=10, cache_read=4332, cache_write=13, cache_write_1h=4500,
                             output=131, reasoning=80)
    assert not [e for e in seen if isinstance(e, WarningRaised) and e.warning.code == "usage-mismatch"]


@given(usage_wire.anthropic())
def test_every_usage_object_reconciles_or_says_why(raw: dict[str, Any]) -> None:
    counted = read_usage(raw)
    assert counted is not None
    usage, warnings = counted
    assert usage_wire.problems(
        usage, warnings,
        input_tokens=(raw.get("input_tokens"), [usage.input]),
        cache_read_input_tokens=(raw.get("cache_read_input_tokens"), [usage.cache_read]),
        cache_creation_input_tokens=(raw.get("cache_creation_input_tokens"), [usage.total_cache_write]),
        output_tokens=(raw.get("output_tokens"), [usage.total_output])) == []
