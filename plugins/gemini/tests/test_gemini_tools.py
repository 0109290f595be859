"""The ``gemini`` tool codec: Hypothesis round trips, every tool choice, recorded wire values, ids."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
import pytest
from gemini_helpers import recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_gemini.tools import GeminiToolCodec, call_id, is_generated, usable_id

from modelplex import Tool, ToolCallPart, ToolChoice, ToolCodec, ToolResultPart
from modelplex.errors import ToolSchemaError
from modelplex_testing import strategies as mst

CODEC = GeminiToolCodec("gemini")


def test_is_a_tool_codec() -> None:
    assert isinstance(CODEC, ToolCodec) and CODEC.format == "gemini"


def _drop_additional(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k != "additionalProperties"}
    if "properties" in out:
        out["properties"] = {n: _drop_additional(s) for n, s in out["properties"].items()}
    if "items" in out:
        out["items"] = _drop_additional(out["items"])
    return out


def _additional_paths(schema: dict[str, Any], path: str) -> list[str]:
    found = [f"{path}.additionalProperties"] if "additionalProperties" in schema else []
    for name, sub in schema.get("properties", {}).items():
        found += _additional_paths(sub, f"{path}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        found += _additional_paths(schema["items"], f"{path}.items")
    return found


@given(st.lists(mst.tools(), max_size=4, unique_by=lambda t: t.name))
def test_tools_round_trip_less_exactly_what_was_warned(tools: list[Tool]) -> None:
    """Warned: every additionalProperties (by path) and strict=True. The way back gives the tools
    less exactly those (strict=False is Gemini's behaviour anyway and comes back as None)."""
    wire, warnings = CODEC.encode_tools(tools)
    expected_fields = []
    for tool in tools:
        expected_fields += sorted(_additional_paths(dict(tool.parameters), f"tools.{tool.name}.parameters"))
        expected_fields += [f"tools.{tool.name}.strict"] if tool.strict else []
    assert sorted(w.field or "" for w in warnings) == sorted(expected_fields)
    for warning in warnings:
        assert (warning.field or "").split(".")[1] in warning.message  # the tool's name
    declarations = wire[0]["functionDeclarations"] if tools else []
    assert len(wire) == (1 if tools else 0) and [d["name"] for d in declarations] == [
        t.name for t in tools]
    back = CODEC.decode_tools(json.loads(json.dumps(wire)))
    assert back == [attrs.evolve(t, strict=None, parameters=_drop_additional(dict(t.parameters)))
                    for t in tools]


def test_a_declaration_on_the_wire() -> None:
    tool = Tool(name="get_weather", description="Weather", parameters={
        "type": "object", "additionalProperties": False,
        "properties": {"city": {"type": "string"}}, "required": ["city"]}, strict=True)
    wire, warnings = CODEC.encode_tools([tool])
    assert wire == [{"functionDeclarations": [{"name": "get_weather", "description": "Weather",
                                               "parameters": {"type": "OBJECT", "required": ["city"],
                                                              "properties": {"city": {"type": "STRING"}}}}]}]
    assert [(w.code, w.field) for w in warnings] == [
        ("dropped-schema-keyword", "tools.get_weather.parameters.additionalProperties"),
        ("unsupported-setting", "tools.get_weather.strict")]
    assert "'get_weather'" in warnings[0].message
    assert CODEC.encode_tools([]) == ([], [])


@given(mst.tool_choices())
def test_every_tool_choice_maps_and_round_trips(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    assert warnings == []
    assert CODEC.decode_tool_choice(json.loads(json.dumps(wire))) == choice


def test_tool_choice_wire_values() -> None:
    def mode(choice: ToolChoice) -> Any:
        return CODEC.encode_tool_choice(choice)[0]["functionCallingConfig"]

    assert mode(ToolChoice.auto()) == {"mode": "AUTO"}
    assert mode(ToolChoice.none()) == {"mode": "NONE"}
    assert mode(ToolChoice.required()) == {"mode": "ANY"}
    assert mode(ToolChoice.tool("f")) == {"mode": "ANY", "allowedFunctionNames": ["f"]}
    recorded = recording("04_gemini3_function_calls_thought_signature").request_body["toolConfig"]
    assert CODEC.decode_tool_choice(recorded) == ToolChoice.required()  # ANY, every tool allowed
    assert CODEC.decode_tool_choice({"functionCallingConfig": {"mode": "VALIDATED"}}) == ToolChoice.auto()
    with pytest.raises(ToolSchemaError, match="unknown toolConfig"):
        CODEC.decode_tool_choice({"functionCallingConfig": {"mode": "SOMETIMES"}})


@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    """Exact but for what the wire has no place for: the origin, and unparsed arguments (Gemini's
    args are an object)."""
    wire = json.loads(json.dumps(CODEC.encode_tool_call(call)))
    assert isinstance(wire["functionCall"]["args"], dict)
    assert wire.get("thoughtSignature") == call.signature
    assert CODEC.decode_tool_call(wire) == attrs.evolve(call, origin=None, raw_arguments=None)


@pytest.mark.parametrize("args", [{}, {"città": "Zürich", "emoji": "🌦", "nested": {"ä": [1, 2.5, None]}},
                                  {"": "", "k": "\u0000\n\"'"}])
def test_empty_and_unicode_arguments(args: dict[str, Any]) -> None:
    call = ToolCallPart(id="c1", name="f", arguments=args)
    wire = CODEC.encode_tool_call(call)
    assert wire == {"functionCall": {"id": "c1", "name": "f", "args": args}}
    assert CODEC.decode_tool_call(json.loads(json.dumps(wire, ensure_ascii=False))) == call


def test_a_call_without_id_or_args_decodes() -> None:
    call = CODEC.decode_tool_call({"functionCall": {"name": "f"}, "thoughtSignature": "sig"})
    assert call == ToolCallPart(id="", name="f", signature="sig")
    odd = CODEC.decode_tool_call({"functionCall": {"name": "f", "args": [1]}})
    assert odd.arguments == {} and odd.raw_arguments == "[1]"


@given(mst.tool_results())
def test_tool_results_round_trip(result: ToolResultPart) -> None:
    wire = json.loads(json.dumps(CODEC.encode_tool_result(result)))
    back = CODEC.decode_tool_result(wire)
    try:
        parsed = json.loads(result.content)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and not result.is_error and wire["functionResponse"]["response"] == parsed:
        assert json.loads(back.content) == parsed  # sent as the object itself
        assert attrs.evolve(back, content=result.content) == result
    else:
        assert back == result


@pytest.mark.parametrize(("result", "response"), [
    (ToolResultPart(tool_call_id="c", content="20 °C"), {"output": "20 °C"}),
    (ToolResultPart(tool_call_id="c", content="boom", is_error=True), {"error": "boom"}),
    (ToolResultPart(tool_call_id="c", content='{"temp": 20, "unit": "°C"}'),
     {"temp": 20, "unit": "°C"}),
    (ToolResultPart(tool_call_id="c", content='{"output": "x"}'), {"output": '{"output": "x"}'}),
    (ToolResultPart(tool_call_id="c", content='{"error": "x"}'), {"output": '{"error": "x"}'}),
    (ToolResultPart(tool_call_id="c", content='{"a": 1}', is_error=True), {"error": '{"a": 1}'}),
    (ToolResultPart(tool_call_id="c", content="[1, 2]"), {"output": "[1, 2]"}),
    (ToolResultPart(tool_call_id="c", content=""), {"output": ""}),
])
def test_tool_result_wire_values(result: ToolResultPart, response: dict[str, Any]) -> None:
    named = attrs.evolve(result, name="f")
    wire = CODEC.encode_tool_result(named)
    assert wire == {"functionResponse": {"id": "c", "name": "f", "response": response}}
    back = CODEC.decode_tool_result(wire)
    assert (back.is_error, back.name, back.tool_call_id) == (result.is_error, "f", "c")
    passed_through = "output" not in response and "error" not in response
    if passed_through:
        assert json.loads(back.content) == response
    else:
        assert back.content == result.content


def test_call_ids_are_stable_plain_and_recognised() -> None:
    one = call_id("resp-1", 0, "weather")
    assert one == call_id("resp-1", 0, "weather") and re.fullmatch(r"[A-Za-z0-9_-]+", one)
    assert len({one, call_id("resp-1", 1, "weather"), call_id("resp-2", 0, "weather"),
                call_id("resp-1", 0, "time")}) == 4
    assert is_generated(one) and len(one) <= 40
    assert not is_generated("call_bhZkmIKKItNGJ41whHUHB7p9") and not is_generated("toolu_01A")
    assert usable_id("fc-123_abc") and not usable_id("has space") and not usable_id("") and not usable_id(
        None) and not usable_id("x" * 65)


@pytest.mark.parametrize("name", ["02_parallel_function_calls", "06_stream_function_call",
                                  "07_stream_thinking"])
def test_every_recorded_declaration_decodes_and_encodes_back(name: str) -> None:
    wire = recording(name).request_body["tools"]
    tools = CODEC.decode_tools(wire)
    again, warnings = CODEC.encode_tools(tools)
    assert again == wire and warnings == []
    assert all(t.parameters["type"] == "object" for t in tools)


def test_parameters_json_schema_is_taken_as_it_is() -> None:
    wire = recording("04_gemini3_function_calls_thought_signature").request_body["tools"]
    tools = CODEC.decode_tools(wire)
    assert [t.name for t in tools] == ["generate_topic", "final_result"]
    assert tools[0].parameters == {"additionalProperties": False, "properties": {}, "type": "object"}
    assert CODEC.decode_tools([{"name": "bare"}]) == [Tool(name="bare")]


def test_result_text_with_nan_stays_text() -> None:
    from modelplex_gemini.tools import json_object

    assert json_object('{"x": NaN}') is None
    assert json_object('{"x": Infinity}') is None
    assert json_object('{"x": 1.5}') == {"x": 1.5}
