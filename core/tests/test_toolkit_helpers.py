"""The toolkit's small helpers: tool-call ids a wire takes, the per-tool encode loop, a whole reply
as stream events, the token estimate, and whether a URL is this machine."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelplex import (
    ChatResponse,
    FinishReason,
    Message,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallPart,
    Usage,
)
from modelplex.toolkit import (
    ToolCallIds,
    arguments_json,
    encode_each,
    estimate,
    is_loopback,
    response_events,
    tokens,
)

PLAIN_40 = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")


def test_ids_a_wire_takes_are_kept_and_others_made_plain_the_same_way_each_time() -> None:
    ids = ToolCallIds()
    assert ids.call("call_abc") == "call_abc" and ids.result("call_abc") == "call_abc"
    odd = ids.call("functions.get_weather:0")
    assert PLAIN_40.match(odd) and ids.result("functions.get_weather:0") == odd
    assert ToolCallIds().call("functions.get_weather:0") == odd
    again = ids.call("call_abc")  # the same id in a later turn gets one of its own
    assert again != "call_abc" and ids.result("call_abc") == again


@given(st.lists(st.text(max_size=50), max_size=12))
def test_calls_get_distinct_plain_ids_and_results_find_them(originals: list[str]) -> None:
    ids = ToolCallIds()
    sent = [ids.call(original) for original in originals]
    assert all(PLAIN_40.match(wire) for wire in sent) and len(set(sent)) == len(sent)


def test_encode_each_keeps_the_order_and_every_warning() -> None:
    tools = [Tool(name="a", parameters={"type": "object"}), Tool(name="b", parameters={"type": "object"})]

    def encode(tool: Tool) -> tuple[dict[str, Any], list[ProviderWarning]]:
        return {"name": tool.name}, [ProviderWarning(code="c", field=tool.name, message="m")]

    wire, warnings = encode_each(tools, encode)
    assert wire == [{"name": "a"}, {"name": "b"}] and [w.field for w in warnings] == ["a", "b"]


def test_a_whole_reply_as_the_events_that_build_it() -> None:
    call = ToolCallPart(id="t1", name="f", arguments={"ü": 1})
    response = ChatResponse(provider="p", model="m", id="r1", finish_reason=FinishReason.TOOL_CALLS,
                            parts=[ReasoningPart(text="hm", signature="s"), TextPart(text="hi"), call],
                            usage=Usage(input=3, output=2))
    kinds = [type(e).__name__ for e in response_events(response)]
    assert kinds == ["ResponseStarted", "ReasoningDelta", "TextDelta", "ToolCallStarted", "ToolCallDelta",
                     "ToolCallEnded", "UsageReported", "Finished"]
    assert arguments_json(call) == '{"ü":1}'
    assert arguments_json(ToolCallPart(id="t", name="f", raw_arguments="{bad")) == "{bad"


def test_the_estimate_is_four_characters_a_token_and_says_so() -> None:
    assert tokens(0) == 0 and tokens(1) == 1 and tokens(8) == 2
    usage = estimate([Message.user("x" * 40)], output_chars=9, reasoning_chars=4)
    assert usage == Usage(input=10, output=3, reasoning=1, estimated=True)


@pytest.mark.parametrize(("url", "local"), [
    ("http://localhost:11434", True), ("http://127.0.0.1:1234/v1", True), ("http://127.8.9.10", True),
    ("http://[::1]:8080/v1", True), ("http://LOCALHOST:1234", True),
    ("https://api.openai.com/v1", False), ("http://192.168.1.20:11434", False), ("http://[::2]", False),
    ("http://localhost.example.com", False), ("http://0.0.0.0:8000", False), ("", False), (None, False),
])
def test_a_url_is_this_machine_only_on_a_loopback_host(url: str | None, local: bool) -> None:
    assert is_loopback(url) is local


@pytest.mark.parametrize(("value", "expected"),
                         [(12, 12), (0, 0), (-3, 0), (True, 0), (None, 0), ("7", 0), (7.0, 0)])
def test_a_count_is_a_positive_int_and_nothing_else(value: object, expected: int) -> None:
    from modelplex.toolkit import count

    assert count(value) == expected


def test_a_usage_mismatch_names_its_field() -> None:
    from modelplex.toolkit import usage_mismatch

    warning = usage_mismatch("totals differ", "usageMetadata")
    assert (warning.code, warning.field) == ("usage-mismatch", "usageMetadata")
    assert warning.message == "totals differ"
    assert usage_mismatch("x").field == "usage"
