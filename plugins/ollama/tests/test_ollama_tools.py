"""The ``ollama`` tool codec: round trips (Hypothesis), tool choice, recorded wire values, call ids."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_ollama.tools import CallIds, OllamaToolCodec, parse_arguments
from ollama_helpers import recording, request_body

from modelplex import Tool, ToolCallPart, ToolChoice, ToolCodec, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex_testing import strategies as mst

CODEC = OllamaToolCodec()


def test_is_a_tool_codec() -> None:
    assert isinstance(CODEC, ToolCodec) and CODEC.format == "ollama"


@given(st.lists(mst.tools(), max_size=4))
def test_tools_round_trip_less_strict_with_a_warning(tools: list[Tool]) -> None:
    wire, warnings = CODEC.encode_tools(tools)
    assert CODEC.decode_tools(json.loads(json.dumps(wire))) == [attrs.evolve(t, strict=None) for t in tools]
    assert [w.field for w in warnings] == [f"tools.{t.name}.strict" for t in tools if t.strict is not None]


def test_tools_as_recorded() -> None:
    tool = Tool(name="get_weather", description="Get the weather in a given city", parameters={
        "type": "object", "properties": {"city": {"type": "string", "description": "The city to get the "
                                                  "weather for"}}, "required": ["city"]})
    assert CODEC.encode_tools([tool])[0] == request_body("ollama/03_api_chat_stream_tools_docs")["tools"]


@given(mst.tool_choices())
def test_tool_choice_maps_or_warns(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    if choice.mode == "required":
        assert wire is None and [w.field for w in warnings] == ["tool_choice"]
        assert CODEC.decode_tool_choice(wire) == ToolChoice.auto()
    else:
        assert CODEC.decode_tool_choice(wire) == choice
        assert [w.field for w in warnings] == (["tool_choice"] if choice.mode == "tool" else [])
    with pytest.raises(ToolSchemaError):
        CODEC.decode_tool_choice(["sometimes"])


@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    """Exact, but for what the wire has no place for: signature, origin, and arguments that are not a
    JSON object (Ollama's arguments always are one)."""
    wire = json.loads(json.dumps(CODEC.encode_tool_call(call)))
    assert isinstance(wire["function"]["arguments"], dict)
    expected = attrs.evolve(call, signature=None, origin=None, raw_arguments=None)
    assert CODEC.decode_tool_call(wire) == expected


@given(mst.tool_results())
def test_tool_results_round_trip_less_is_error(result: ToolResultPart) -> None:
    wire = json.loads(json.dumps(CODEC.encode_tool_result(result)))
    assert wire["role"] == "tool" and wire.get("tool_name") == result.name
    assert CODEC.decode_tool_result(wire) == attrs.evolve(result, is_error=False)


def test_a_recorded_call_decodes_and_arguments_in_other_shapes() -> None:
    line = recording("ollama/03_api_chat_stream_tools_docs").body_bytes().splitlines()[0]
    call = CODEC.decode_tool_call(json.loads(line)["message"]["tool_calls"][0])
    assert call == ToolCallPart(id="", name="get_weather", arguments={"city": "Tokyo"})
    assert parse_arguments('{"a": 1}') == ({"a": 1}, None)
    assert parse_arguments("[1, 2]") == ({}, "[1, 2]")
    assert parse_arguments("not json") == ({}, "not json")
    assert parse_arguments(None) == ({}, None) and parse_arguments("  ") == ({}, None)


def test_call_ids_are_ollamas_own_else_made_from_the_reply() -> None:
    ids = CallIds()
    assert ids.assign("call_x1", "t", "f", "{}") == "call_x1"
    again = ids.assign("call_x1", "t", "f", "{}")  # Ollama repeated an id within one reply
    made = [ids.assign(None, "t", "f", "{}") for _ in range(3)]
    every = ["call_x1", again, *made]
    assert len(set(every)) == 5 and all(i.startswith("call_") for i in every)
    # The same reply gives the same ids; another turn (another timestamp) gives others.
    assert CallIds().assign(None, "t", "f", "{}") == CallIds().assign(None, "t", "f", "{}")
    assert CallIds().assign(None, "t", "f", "{}") != CallIds().assign(None, "t2", "f", "{}")
