"""The provider contract for ``openai`` through the Responses API (the default route), against real
recorded Responses traffic; the tool codec's round trips; reasoning items sent back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai.responses_tools import ResponsesToolCodec
from modelplex_openai_compat import Profile

from modelplex import (
    FinishReason,
    Message,
    Origin,
    ReasoningPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
)
from modelplex._stream import parse_arguments
from modelplex.errors import AuthenticationError, BadRequestError, ModelNotFoundError
from modelplex_testing import Expect, ProviderContract, Recording, Scenario
from modelplex_testing import strategies as mst

RESPONSES = Path(__file__).parent / "fixtures" / "openai_responses"
EXACT = ("model", "input", "instructions", "stream", "tools", "tool_choice", "text")
# pydantic-ai sent "instructions": "" and no "stream" key where there was no system prompt; this
# plugin sends no instructions then, and always says whether it streams.
NO_SYSTEM = ("model", "input", "tools", "tool_choice", "text")
CODEC = ResponsesToolCodec()


def _schema(name: str) -> dict[str, Any]:
    return {"additionalProperties": False, "properties": {name: {"type": "string"}},
            "required": [name], "type": "object"}


LOCATION = Tool(name="get_location", parameters=_schema("loc_name"), strict=True)
CAPITAL = Tool(name="get_capital", parameters=_schema("country"), strict=True)
WEATHER = Tool(name="get_weather", description="Get the current weather for a city.",
               parameters=_schema("city"), strict=True)
LONDOS = ToolCallPart(id="call_LWVp74L5HaH2KNvgVz9PJsrj", name="get_location",
                      arguments={"loc_name": "Londos"})
LONDON = ToolCallPart(id="call_YnRAWeTyxI91m5uNa5bxXwVO", name="get_location",
                      arguments={"loc_name": "London"})
FOLLOWUP_TEXT = ("It seems \"Londos\" might be incorrect or unknown. If you meant something else, "
                 "please clarify.\n\nFor **London**, it's located at approximately latitude 51° N "
                 "and longitude 0° W.")
INCLUDE = {"include": ["reasoning.encrypted_content"]}


def recording(name: str) -> Recording:
    return Recording.load(RESPONSES / f"{name}.json")


class TestOpenAIResponsesContract(ProviderContract):
    provider = "openai"
    fixtures = RESPONSES
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model="gpt-4o", compare=EXACT,
            messages=[Message.system("You are a helpful assistant."),
                      Message.user("What is the capital of France?")],
            expect=Expect(text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=24, output=8), model="gpt-4o-2024-08-06")),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_function_calls", model="gpt-4o", compare=NO_SYSTEM,
            messages=[Message.user("What is the location of Londos and London?")],
            options={"tools": [LOCATION], "tool_choice": "auto"},
            expect=Expect(tool_calls=[("get_location", {"loc_name": "Londos"}),
                                      ("get_location", {"loc_name": "London"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage())),
        # The recorded input also holds an empty assistant message before the calls, which this
        # plugin does not send; test_followup_input checks the rest.
        "chat_tool_result_followup": Scenario(
            recording="03_function_call_output_followup", model="gpt-4o",
            compare=tuple(k for k in NO_SYSTEM if k != "input"),
            messages=[Message.user("What is the location of Londos and London?"),
                      Message.assistant([LONDOS, LONDON]),
                      Message.tool(LONDOS.id, "Wrong location, I only know about \"London\".\n\n"
                                              "Fix the errors and try again."),
                      Message.tool(LONDON.id, '{"lat": 51, "lng": 0}')],
            options={"tools": [LOCATION], "tool_choice": "auto"},
            expect=Expect(text=FOLLOWUP_TEXT, finish_reason=FinishReason.STOP,
                          usage=Usage(input=335, output=44))),
        "chat_reasoning": Scenario(
            recording="04_reasoning_then_function_call", model="gpt-5-mini",
            compare=(*NO_SYSTEM, "stream", "include"),
            messages=[Message.user("What's the weather in Paris?")],
            options={"tools": [WEATHER], "tool_choice": "auto", "extra": INCLUDE},
            expect=Expect(reasoning="", tool_calls=[("get_weather", {"city": "Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=50, output=81),
                          model="gpt-5-mini-2025-08-07")),
        "stream_tool_call": Scenario(
            recording="05_stream_function_call", model="gpt-4o", call="stream",
            compare=(*NO_SYSTEM, "stream"), messages=[Message.user("What is the capital of France?")],
            options={"tools": [CAPITAL], "tool_choice": "auto"},
            expect=Expect(tool_calls=[("get_capital", {"country": "France"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=255, output=16),
                          model="gpt-4o-2024-08-06")),
        "stream_text": Scenario(
            recording="06_stream_text", model="gpt-4.1-nano", call="stream",
            compare=(*EXACT, "store", "temperature"), messages=[Message.user("Count from 1 to 3")],
            options={"temperature": 0.0, "extra": {"store": False}},
            expect=Expect(text="1, 2, 3", finish_reason=FinishReason.STOP,
                          usage=Usage(input=14, output=8))),
        # The recording's client sent "description": null for a tool without one; this plugin
        # sends "". test_stream_reasoning_request checks the tools otherwise.
        "stream_reasoning": Scenario(
            recording="07_stream_reasoning_text_and_function_call", model="gpt-5.5", call="stream",
            compare=("model", "input", "instructions", "stream", "tool_choice", "include"),
            messages=[Message.system("Briefly narrate what you are about to do before calling "
                                     "each tool."),
                      Message.user("What is the capital of PotatoLand?")],
            options={"tools": [CAPITAL], "tool_choice": "auto", "extra": INCLUDE},
            expect=Expect(text="I\u2019ll check the capital lookup tool for \u201cPotatoLand.\u201d",
                          reasoning="", tool_calls=[("get_capital", {"country": "PotatoLand"})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=63, output=43, reasoning=26))),
        # Recorded with temperature -1, which the client now refuses before sending (issue 11):
        # the request is a valid one, the recorded 400 is what is mapped.
        "error_400": Scenario(recording="08_error_400_invalid_value", model="gpt-4o",
                              messages=[Message.user("What is the capital of France?")],
                              expect=Expect(error=BadRequestError, status=400)),
        "error_401": Scenario(recording="../openai/10_error_401_invalid_api_key",
                              model="gpt-5-nano", messages=[Message.user("Hello")],
                              expect=Expect(error=AuthenticationError, status=401)),
        # A 404 that is about the model is an error, never a reason to leave the Responses API.
        "error_404": Scenario(recording="../openai/09_error_404_model_not_found",
                              model="gpt-5.2-proo", messages=[Message.user("hello")],
                              expect=Expect(error=ModelNotFoundError, status=404)),
    }

    def test_followup_input(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        recorded = recording("03_function_call_output_followup").request_body["input"]
        assert recorded[1] == {"content": "", "role": "assistant"}
        assert replayer.sent_json(0)["input"] == recorded[:1] + recorded[2:]
        assert replayer.sent[0].url.path == "/v1/responses" and len(replayer.sent) == 1

    def test_stream_reasoning_request(self) -> None:
        _, replayer, _ = self.run(self.scenarios["stream_reasoning"])
        recorded = recording("07_stream_reasoning_text_and_function_call").request_body["tools"]
        assert replayer.sent_json(0)["tools"] == [{**recorded[0], "description": ""}]

    def test_reasoning_items_keep_their_id_and_encrypted_content(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_reasoning"])
        item = recording("04_reasoning_then_function_call").response["body"]["output"][0]
        part = response.parts[0]
        assert isinstance(part, ReasoningPart)
        assert (part.signature, part.redacted_data) == (item["id"], item["encrypted_content"])
        assert part.origin == Origin(provider="openai", model="gpt-5-mini")

    def test_streamed_reasoning_keeps_its_id_and_encrypted_content(self) -> None:
        streamed, _, _ = self.run(self.scenarios["stream_reasoning"])
        [part] = [p for p in streamed.parts if isinstance(p, ReasoningPart)]
        assert part.signature == "rs_0fabc13af1ee0049006a691dfe60b081a1baa444d3cf19afba"
        assert part.redacted_data and part.redacted_data.startswith("gAAAAABqaR3-pGgS")
        assert [type(p).__name__ for p in streamed.parts] == ["ReasoningPart", "TextPart",
                                                              "ToolCallPart"]

    @pytest.mark.feature("reasoning_replay")
    def test_reasoning_goes_back_to_its_model_only(self) -> None:
        """A later turn sends the reasoning item back (by id, with its encrypted content) to the
        same model, and leaves it out, with a warning, for another."""
        first, _, _ = self.run(self.scenarios["chat_reasoning"])
        turn = [Message.user("What's the weather in Paris?"), first.message,
                Message.tool(first.tool_calls[0].id, "sunny")]
        again = attrs.evolve(self.scenarios["chat_text"], model="gpt-5-mini", messages=turn,
                             options={"tools": [WEATHER]})
        _, replayer, _ = self.run(again)
        sent = replayer.sent_json(0)["input"]
        assert sent[1] == {"type": "reasoning", "id": first.parts[0].signature, "summary": [],
                           "encrypted_content": first.parts[0].redacted_data}
        assert sent[2]["type"] == "function_call" and sent[3]["type"] == "function_call_output"
        other = attrs.evolve(again, model="gpt-4o")
        response, replayer, _ = self.run(other)
        assert all(item.get("type") != "reasoning" for item in replayer.sent_json(0)["input"])
        assert "dropped-reasoning" in [w.code for w in response.warnings]


# -- the codec ------------------------------------------------------------------------------------
def test_codec_format() -> None:
    assert CODEC.format == "openai-responses"
    wire, _ = CODEC.encode_tools([CAPITAL])
    assert wire == [recording("05_stream_function_call").request_body["tools"][0]]
    assert CODEC.encode_tool_choice(ToolChoice.tool("f"))[0] == {"type": "function", "name": "f"}


@given(st.lists(mst.tools(), max_size=4))
def test_tools_round_trip(tools: list[Tool]) -> None:
    """Exact, but that no preference (None) is sent, and so comes back, as an explicit False."""
    wire, warnings = CODEC.encode_tools(tools)
    expected = [t if t.strict is not None else attrs.evolve(t, strict=False) for t in tools]
    assert warnings == [] and CODEC.decode_tools(json.loads(json.dumps(wire))) == expected


def test_a_tool_without_a_strict_preference_is_sent_non_strict() -> None:
    """The Responses API makes a tool strict when "strict" is left out (OpenAI's function-calling
    guide: "To opt out of strict mode in Responses ... explicitly set strict: false"), which makes
    every optional parameter required; Chat Completions, and every other wire, are not strict then."""
    loose = Tool(name="search", parameters={"type": "object", "properties": {
        "query": {"type": "string"}, "year": {"type": "integer"}}, "required": ["query"]})
    wire, _ = CODEC.encode_tools([loose, attrs.evolve(loose, name="strict_search", strict=True)])
    assert [item["strict"] for item in wire] == [False, True]
    no_strict = ResponsesToolCodec(Profile(supports_strict_tools=False))
    wire, warnings = no_strict.encode_tools([loose])
    assert "strict" not in wire[0] and warnings == []


@given(mst.tool_choices())
def test_tool_choice_round_trips(choice: ToolChoice) -> None:
    wire, warnings = CODEC.encode_tool_choice(choice)
    assert warnings == [] and CODEC.decode_tool_choice(wire) == choice


@given(mst.tool_calls())
def test_tool_calls_round_trip(call: ToolCallPart) -> None:
    wire = json.loads(json.dumps(CODEC.encode_tool_call(call)))
    assert wire["type"] == "function_call" and wire["call_id"] == call.id
    expected = attrs.evolve(call, signature=None, origin=None)
    if call.raw_arguments is not None:
        args, raw = parse_arguments(call.raw_arguments)
        expected = attrs.evolve(expected, arguments=args, raw_arguments=raw)
    assert CODEC.decode_tool_call(wire) == expected


@given(mst.tool_results())
def test_tool_results_round_trip(result: ToolResultPart) -> None:
    wire = CODEC.encode_tool_result(result)
    assert wire == {"type": "function_call_output", "call_id": result.tool_call_id,
                    "output": result.content}
    assert CODEC.decode_tool_result(wire) == attrs.evolve(result, name=None, is_error=False)


@pytest.mark.parametrize("index", [2, 3])
def test_recorded_call_items_decode_and_encode_back(index: int) -> None:
    item = recording("03_function_call_output_followup").request_body["input"][index]
    assert CODEC.encode_tool_call(CODEC.decode_tool_call(item)) == item
