"""Tool-call ids as a wire takes them: :class:`ToolCallIds`, and the Chat Completions messages it maps."""

from __future__ import annotations

import re

import pytest
from compat_helpers import make_call
from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai_compat import ToolCallIds, encode_messages

from modelplex import Message, ToolCallPart

PLAIN_40 = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
VLLM_ID = "chatcmpl-tool-" + "0123456789abcdef" * 2  # 46 characters


def test_an_id_the_wire_takes_is_kept() -> None:
    ids = ToolCallIds()
    assert [ids.call(i) for i in ("call_abc", "toolu_01XFyAjstT3966qvRynZyVPo", "wyFNfgjhN")] == [
        "call_abc", "toolu_01XFyAjstT3966qvRynZyVPo", "wyFNfgjhN"]
    assert ids.result("call_abc") == "call_abc"


@pytest.mark.parametrize("odd", ["functions.get_weather:0", VLLM_ID, "", "ü" * 80, "call 1"])
def test_an_id_it_refuses_is_made_plain_the_same_for_the_call_and_its_result(odd: str) -> None:
    ids = ToolCallIds()
    wire = ids.call(odd)
    assert PLAIN_40.match(wire) and wire != odd
    assert ids.result(odd) == wire
    assert ToolCallIds().call(odd) == wire  # the same conversation gives the same ids


def test_an_id_given_again_in_a_later_turn_gets_an_id_of_its_own() -> None:
    """``call_0`` from a server that numbers the calls of each reply: each result answers the latest
    call with its id."""
    ids = ToolCallIds()
    first = ids.call("call_0")
    assert ids.result("call_0") == first == "call_0"
    second = ids.call("call_0")
    assert second != first and PLAIN_40.match(second)
    assert ids.result("call_0") == second


def test_a_made_id_never_takes_one_a_later_call_has() -> None:
    ids = ToolCallIds()
    made = ids.call("a.b")
    assert ids.call(made) != made  # the later call, whose id is taken, gets another


def test_a_result_for_no_call_gets_the_id_such_a_call_would_have() -> None:
    assert ToolCallIds().result("functions.f:0") == ToolCallIds().call("functions.f:0")
    assert ToolCallIds().result("call_9") == "call_9"


def test_the_length_limit_is_the_wires() -> None:
    ids = ToolCallIds(max_length=64)
    assert ids.call(VLLM_ID) == VLLM_ID
    assert len(ids.call("x" * 65)) <= 64
    with pytest.raises(ValueError, match="max_length"):
        ToolCallIds(max_length=8)


@given(st.lists(st.text(max_size=50), max_size=12))
def test_calls_get_distinct_plain_ids_and_results_find_them(originals: list[str]) -> None:
    ids = ToolCallIds()
    sent = []
    for original in originals:
        wire = ids.call(original)
        assert PLAIN_40.match(wire)
        assert ids.result(original) == wire
        sent.append(wire)
    assert len(set(sent)) == len(sent)
    kept = [o for o, w in zip(originals, sent, strict=True) if o == w]
    assert all(PLAIN_40.match(o) for o in kept)


def test_chat_completions_messages_map_ids_per_request() -> None:
    """A conversation begun on other servers: a Kimi-style id, vLLM's 46-character one and call_0
    twice; OpenAI refuses the first two ("Invalid 'messages[1].tool_calls[0].id': string too long.
    Expected a string with maximum length 40")."""
    first = [ToolCallPart(id="functions.get_weather:0", name="get_weather", arguments={"city": "Oslo"}),
             ToolCallPart(id=VLLM_ID, name="get_time")]
    out, warnings = encode_messages(make_call(None, (
        Message.user("Weather and time?"), Message.assistant(first),
        Message.tool(VLLM_ID, "12:00"), Message.tool("functions.get_weather:0", "rain"),
        Message.assistant(ToolCallPart(id="call_0", name="get_time")), Message.tool("call_0", "12:01"),
        Message.assistant(ToolCallPart(id="call_0", name="get_weather")), Message.tool("call_0", "sun"))))
    assert warnings == []
    calls = [c["id"] for m in out if m["role"] == "assistant" for c in m["tool_calls"]]
    assert all(PLAIN_40.match(i) for i in calls) and len(set(calls)) == 4
    assert calls[2] == "call_0"  # kept where it is fine
    answers = {m["content"]: m["tool_call_id"] for m in out if m["role"] == "tool"}
    assert answers == {"rain": calls[0], "12:00": calls[1], "12:01": calls[2], "sun": calls[3]}
