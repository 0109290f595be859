"""The ``cohere`` tool codec: Hypothesis round trips (less exactly what is warned about), every tool
choice mapped or warned, and the wire shapes Cohere takes."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_cohere.tools import ToolCodec, parse_arguments, result_text

from modelplex import Tool, ToolCallPart, ToolChoice, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex_testing import strategies as mst

CODEC = ToolCodec(provider="cohere")


def through_json(value: Any) -> Any:
    """What the wire does to a value: JSON text and back (unicode kept as is)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@settings(max_examples=200)
@given(st.lists(mst.tools(), max_size=5))
def test_tools_round_trip_less_what_was_warned(tools: list[Tool]) -> None:
    wire, warnings = CODEC.encode_tools(tools)
    assert {w.field for w in warnings} == {f"tools.{t.name}.strict" for t in tools if t.strict}
    assert all(w.code == "unsupported-setting" for w in warnings)
    assert CODEC.decode_tools(through_json(wire)) == [attrs.evolve(t, strict=None) for t in tools]
    assert all(item["type"] == "function" and set(item["function"]) == {"name", "description", "parameters"}
               for item in wire)


@settings(max_examples=300)
@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    wire = through_json(CODEC.encode_tool_call(call))
    assert wire["type"] == "function" and isinstance(wire["function"]["arguments"], str)
    decoded = CODEC.decode_tool_call(wire)
    # Another provider's signature and origin cannot travel; raw (unparsed) arguments travel as they are,
    # except "null", which is Cohere's own way of saying "no arguments".
    expected = attrs.evolve(call, signature=None, origin=None)
    if call.raw_arguments is not None and call.raw_arguments.strip() in ("", "null"):
        expected = attrs.evolve(expected, raw_arguments=None, arguments={})
    assert decoded == expected


@settings(max_examples=300)
@given(mst.tool_results())
def test_tool_results_round_trip(result: ToolResultPart) -> None:
    wire = CODEC.encode_tool_result(result)
    assert wire == {"role": "tool", "tool_call_id": result.tool_call_id,
                    "content": [{"type": "document", "document": {"data": {"output": result.content}}}]}
    assert CODEC.decode_tool_result(through_json(wire)) == attrs.evolve(result, name=None, is_error=False)


@settings(max_examples=100)
@given(mst.tool_choices())
def test_every_tool_choice_maps_or_warns(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    if choice.mode == "tool":
        # Sent as REQUIRED with the named tool alone offered (the body does that): warned, and read back
        # as what it is on the wire.
        assert wire == "REQUIRED" and [w.field for w in warnings] == ["tool_choice"]
        assert CODEC.decode_tool_choice(through_json(wire)) == ToolChoice.required()
    else:
        assert warnings == []
        assert CODEC.decode_tool_choice(through_json(wire)) == choice


@pytest.mark.parametrize(("choice", "wire"), [(ToolChoice.auto(), None), (ToolChoice.none(), "NONE"),
                                              (ToolChoice.required(), "REQUIRED")])
def test_tool_choice_wire_shapes(choice: ToolChoice, wire: Any) -> None:
    assert CODEC.encode_tool_choice(choice) == (wire, [])


@pytest.mark.parametrize("wire", ["auto", "required", {"type": "function"}, "ANY"])
def test_unknown_tool_choices_are_refused(wire: Any) -> None:
    with pytest.raises(ToolSchemaError, match="cohere: unknown tool_choice"):
        CODEC.decode_tool_choice(wire)


@pytest.mark.parametrize(("text", "parsed"), [
    ("null", ({}, None)), ("", ({}, None)), ('{"a": 1}', ({"a": 1}, None)), ("[1]", ({}, "[1]")),
    ("{oops", ({}, "{oops")), (None, ({}, None))])
def test_arguments_null_is_no_arguments_and_the_rest_is_kept(text: Any, parsed: Any) -> None:
    assert parse_arguments(text) == parsed


def test_tool_message_content_in_every_shape_cohere_takes() -> None:
    """A string, text items, and documents whose data is {"output"} or any other object."""
    assert result_text("plain") == "plain"
    content = [{"type": "text", "text": "a"}, {"type": "document", "document": {"data": {"output": "b"}}},
               {"type": "document", "document": {"data": {"temp": 18, "sky": "clear"}}}, "junk"]
    assert result_text(content) == 'ab{"temp": 18, "sky": "clear"}'
    assert result_text(None) == ""
