"""The ``anthropic`` tool codec: Hypothesis round trips (less exactly what is warned about), every
tool choice mapped, and the wire shapes Anthropic requires."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_anthropic.tools import AnthropicToolCodec, result_text

import modelplex
from modelplex import Tool, ToolCallPart, ToolChoice, ToolCodec, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex_testing import strategies as mst

CODEC = AnthropicToolCodec(provider="anthropic")


def through_json(value: Any) -> Any:
    """What the wire does to a value: JSON text and back (unicode kept as is)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@settings(max_examples=200)
@given(st.lists(mst.tools(), max_size=5))
def test_tools_round_trip_less_what_was_warned(tools: list[Tool]) -> None:
    wire, warnings = CODEC.encode_tools(tools)
    decoded = CODEC.decode_tools(through_json(wire))
    warned = {w.field for w in warnings}
    assert warned == {f"tools.{t.name}.strict" for t in tools if t.strict}
    assert all(w.code == "unsupported-setting" for w in warnings)
    # strict=True was warned about; strict=False is the API's own behaviour and decodes as None.
    assert decoded == [attrs.evolve(t, strict=None) for t in tools]
    for item in wire:
        assert set(item) == {"name", "description", "input_schema"}
        assert item["input_schema"]["type"] == "object"


def test_a_schema_without_type_is_sent_with_it() -> None:
    """Anthropic rejects an input_schema without "type" (litellm #21584)."""
    tool = Tool(name="lookup", parameters={"properties": {"q": {"type": "string"}}})
    wire, warnings = CODEC.encode_tools([tool])
    assert wire == [{"name": "lookup", "description": "",
                     "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}]
    assert warnings == []


@settings(max_examples=300)
@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    wire = CODEC.encode_tool_call(call)
    assert wire["type"] == "tool_use" and isinstance(wire["input"], dict)
    decoded = CODEC.decode_tool_call(through_json(wire))
    # raw_arguments cannot travel (input is an object; the message encoder warns), nor can another
    # provider's signature and origin.
    assert decoded == attrs.evolve(call, raw_arguments=None, signature=None, origin=None)


@pytest.mark.parametrize("arguments", [{}, {"città": "Zürich", "emoji": "🦤", "": [None, 1.5]},
                                       {"nested": {"deep": [{"x": "\u2028"}]}}])
def test_empty_and_unicode_arguments(arguments: dict[str, Any]) -> None:
    call = ToolCallPart(id="toolu_01", name="f", arguments=arguments)
    wire = through_json(CODEC.encode_tool_call(call))
    assert wire == {"type": "tool_use", "id": "toolu_01", "name": "f", "input": arguments}
    assert CODEC.decode_tool_call(wire) == call


def test_an_input_that_is_not_an_object_is_kept_raw() -> None:
    call = CODEC.decode_tool_call({"type": "tool_use", "id": "t", "name": "f", "input": [1, "ü"]})
    assert call.arguments == {} and call.raw_arguments == '[1, "ü"]'


@settings(max_examples=300)
@given(mst.tool_results())
def test_tool_results_round_trip(result: ToolResultPart) -> None:
    wire = CODEC.encode_tool_result(result)
    assert wire == {"type": "tool_result", "tool_use_id": result.tool_call_id,
                    "content": result.content, "is_error": result.is_error}
    assert CODEC.decode_tool_result(through_json(wire)) == attrs.evolve(result, name=None)


def test_tool_result_content_as_blocks() -> None:
    wire = {"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "text", "text": "15°C, "}, {"type": "image", "source": {}},
        {"type": "text", "text": "calm"}]}
    assert CODEC.decode_tool_result(wire) == ToolResultPart(tool_call_id="t", content="15°C, calm")
    assert result_text(None) == ""


@settings(max_examples=100)
@given(mst.tool_choices())
def test_every_tool_choice_maps(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    assert warnings == []  # every mode has a wire form, so nothing is ever warned about
    assert CODEC.decode_tool_choice(through_json(wire)) == choice


@pytest.mark.parametrize(("choice", "wire"), [
    (ToolChoice.auto(), {"type": "auto"}), (ToolChoice.none(), {"type": "none"}),
    (ToolChoice.required(), {"type": "any"}), (ToolChoice.tool("get_weather"),
                                               {"type": "tool", "name": "get_weather"})])
def test_tool_choice_wire_shapes(choice: ToolChoice, wire: dict[str, Any]) -> None:
    assert CODEC.encode_tool_choice(choice) == (wire, [])
    assert CODEC.decode_tool_choice({**wire, "disable_parallel_tool_use": True}) == choice


@pytest.mark.parametrize("wire", ["auto", {"type": "required"}, {"type": "tool"}, None])
def test_unknown_tool_choices_are_refused(wire: Any) -> None:
    with pytest.raises(ToolSchemaError, match="anthropic: unknown tool_choice"):
        CODEC.decode_tool_choice(wire)


def test_the_client_hands_out_this_codec() -> None:
    with modelplex.Client(config_file=False, env={}, providers={"anthropic": {"api_key": "k"}}) as c:
        codec = c.tool_codec("anthropic")
    assert isinstance(codec, ToolCodec) and isinstance(codec, AnthropicToolCodec)
    assert codec.format == "anthropic"
