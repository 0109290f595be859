"""The ``openai-chat`` tool codec: round trips (Hypothesis), profile limits, recorded wire values."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from compat_helpers import all_recordings, recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai_compat import OpenAIChatToolCodec, Profile

from modelplex import Tool, ToolCallPart, ToolChoice, ToolCodec, ToolResultPart
from modelplex._stream import parse_arguments
from modelplex.errors import ToolSchemaError
from modelplex_testing import strategies as mst

CODEC = OpenAIChatToolCodec()
NO_EXTRAS = OpenAIChatToolCodec(Profile(supports_tool_choice_required=False,
                                        supports_strict_tools=False))


def test_is_a_tool_codec() -> None:
    assert isinstance(CODEC, ToolCodec) and CODEC.format == "openai-chat"


@given(st.lists(mst.tools(), max_size=4))
def test_tools_round_trip(tools: list[Tool]) -> None:
    wire, warnings = CODEC.encode_tools(tools)
    assert warnings == []
    assert CODEC.decode_tools(json.loads(json.dumps(wire))) == tools
    for tool, item in zip(tools, wire, strict=True):
        assert item["type"] == "function"
        assert set(item["function"]) == {"name", "description", "parameters"} | (
            {"strict"} if tool.strict is not None else set())


@given(st.lists(mst.tools(), max_size=4))
def test_strict_is_dropped_with_a_warning_where_unsupported(tools: list[Tool]) -> None:
    wire, warnings = NO_EXTRAS.encode_tools(tools)
    dropped = [t for t in tools if t.strict is not None]
    assert [w.field for w in warnings] == [f"tools.{t.name}.strict" for t in dropped]
    assert NO_EXTRAS.decode_tools(wire) == [attrs.evolve(t, strict=None) for t in tools]


@given(mst.tool_choices())
def test_tool_choice_round_trips_or_warns(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    assert warnings == [] and CODEC.decode_tool_choice(wire) == choice
    wire, warnings = NO_EXTRAS.encode_tool_choice(choice)
    if choice.mode == "required":
        assert wire == "auto" and [w.field for w in warnings] == ["tool_choice"]
    else:
        assert warnings == [] and NO_EXTRAS.decode_tool_choice(wire) == choice


def test_tool_choice_wire_values() -> None:
    assert CODEC.encode_tool_choice(ToolChoice.tool("f"))[0] == {"type": "function",
                                                                 "function": {"name": "f"}}
    assert [CODEC.encode_tool_choice(ToolChoice(mode=m))[0] for m in ("auto", "none", "required")
            ] == ["auto", "none", "required"]
    with pytest.raises(ToolSchemaError):
        CODEC.decode_tool_choice("sometimes")


@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    """Exact, but for what the wire has no place for (signature, origin); unparsed arguments are
    sent as they came, so they come back parsed only if they were a JSON object all along."""
    wire = json.loads(json.dumps(CODEC.encode_tool_call(call)))
    assert wire["type"] == "function" and isinstance(wire["function"]["arguments"], str)
    expected = attrs.evolve(call, signature=None, origin=None)
    if call.raw_arguments is not None:
        args, raw = parse_arguments(call.raw_arguments)
        expected = attrs.evolve(expected, arguments=args, raw_arguments=raw)
    assert CODEC.decode_tool_call(wire) == expected


@given(mst.tool_results())
def test_tool_results_round_trip(result: ToolResultPart) -> None:
    wire = CODEC.encode_tool_result(result)
    assert wire == {"role": "tool", "tool_call_id": result.tool_call_id, "content": result.content}
    assert CODEC.decode_tool_result(wire) == attrs.evolve(result, name=None, is_error=False)
    named = OpenAIChatToolCodec(Profile(tool_result_name=True))
    assert named.decode_tool_result(named.encode_tool_result(result)) == attrs.evolve(
        result, is_error=False)


def test_a_tool_name_over_the_profiles_limit_is_an_error_naming_the_tool() -> None:
    codec = OpenAIChatToolCodec(Profile(max_tool_name_length=10), provider="acme")
    with pytest.raises(ToolSchemaError, match="look_up_the_weather") as info:
        codec.encode_tools([Tool(name="short"), Tool(name="look_up_the_weather")])
    assert info.value.tool == "look_up_the_weather" and info.value.provider == "acme"


def _recorded_wire(key: str) -> list[tuple[str, Any]]:
    found = []
    for name in all_recordings():
        rec = recording(name)
        body = rec.request_body if isinstance(rec.request_body, dict) else {}
        if key == "tools":
            found += [(name, t) for t in body.get("tools") or [] if t.get("type") == "function"]
        elif key == "tool_calls":
            found += [(name, c) for m in body.get("messages") or [] for c in m.get("tool_calls") or []]
    return found


@pytest.mark.parametrize(("name", "wire"), _recorded_wire("tools"))
def test_every_recorded_tool_decodes_and_encodes_back(name: str, wire: dict[str, Any]) -> None:
    tools = CODEC.decode_tools([wire])
    again, _ = CODEC.encode_tools(tools)
    assert again == [wire]


@pytest.mark.parametrize(("name", "wire"), _recorded_wire("tool_calls"))
def test_every_recorded_tool_call_decodes_and_encodes_back(name: str, wire: dict[str, Any]) -> None:
    call = CODEC.decode_tool_call(wire)
    again = CODEC.encode_tool_call(call)
    assert json.loads(again["function"]["arguments"]) == json.loads(wire["function"]["arguments"])
    assert {k: v for k, v in again.items() if k != "function"} == {
        k: v for k, v in wire.items() if k in ("id", "type")}
