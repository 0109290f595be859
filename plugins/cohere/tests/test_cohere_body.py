"""The ``/v2/chat`` body: options under Cohere's names, what it cannot take warned about, and messages in
its shape (tool plans replayed to Cohere only, images as ``image_url``, tool results as documents)."""

from __future__ import annotations

from typing import Any

import pytest
from modelplex_cohere.body import request_body
from modelplex_cohere.tools import ToolCodec

from modelplex import (
    ChatOptions,
    ChatRequest,
    ImagePart,
    Message,
    Origin,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
)

CODEC = ToolCodec()
WEATHER = Tool(name="weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}})
TIME = Tool(name="time")


def body(messages: list[Message] | None = None, **options: Any) -> tuple[dict[str, Any], list[Any]]:
    request = ChatRequest(model="command-a-03-2025", messages=tuple(messages or [Message.user("hi")]),
                          options=ChatOptions(**options))
    return request_body(request, CODEC, stream=False, provider="cohere")


def test_options_go_under_coheres_names() -> None:
    sent, warnings = body(temperature=0.2, top_p=0.9, max_tokens=100, seed=7, stop=["END"])
    assert sent == {"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}],
                    "stream": False, "temperature": 0.2, "p": 0.9, "max_tokens": 100, "seed": 7,
                    "stop_sequences": ["END"]}
    assert warnings == []


def test_a_named_tool_choice_offers_that_tool_alone_and_says_so() -> None:
    sent, warnings = body(tools=[WEATHER, TIME], tool_choice=ToolChoice.tool("time"))
    assert [t["function"]["name"] for t in sent["tools"]] == ["time"] and sent["tool_choice"] == "REQUIRED"
    assert [(w.code, w.field) for w in warnings] == [("unsupported-setting", "tool_choice")]


def test_auto_sends_no_tool_choice_and_none_sends_none() -> None:
    assert "tool_choice" not in body(tools=[WEATHER], tool_choice=ToolChoice.auto())[0]
    assert body(tools=[WEATHER], tool_choice=ToolChoice.none())[0]["tool_choice"] == "NONE"


@pytest.mark.parametrize(("budget", "thinking"), [(0, {"type": "disabled"}), (-1, {"type": "enabled"}),
                                                  (2048, {"type": "enabled", "token_budget": 2048})])
def test_a_reasoning_budget_is_coheres_thinking(budget: int, thinking: dict[str, Any]) -> None:
    assert body(reasoning_budget=budget)[0]["thinking"] == thinking


def test_what_cohere_cannot_do_is_warned_not_dropped() -> None:
    sent, warnings = body(reasoning_effort="high", parallel_tool_calls=False)
    assert {w.field for w in warnings} == {"reasoning_effort", "parallel_tool_calls"}
    assert "reasoning_effort" not in sent and "parallel_tool_calls" not in sent


@pytest.mark.feature("json_schema", provider="cohere")
def test_json_schema_and_json_object_replies() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert body(response_format=ResponseFormat(type="json_schema", schema=schema))[0]["response_format"] == {
        "type": "json_object", "json_schema": schema}
    assert body(response_format=ResponseFormat(type="json_object"))[0]["response_format"] == {
        "type": "json_object"}
    assert "response_format" not in body(response_format=ResponseFormat(type="text"))[0]


def test_extra_settings_go_as_they_are() -> None:
    documents = [{"id": "doc-0", "data": {"text": "The sky is green."}}]
    sent, _ = body(extra={"documents": documents, "strict_tools": True, "k": 5})
    assert sent["documents"] == documents and sent["strict_tools"] is True and sent["k"] == 5


@pytest.mark.feature("reasoning_replay", provider="cohere")
def test_a_plan_is_replayed_to_cohere_only_and_as_its_calls_plan() -> None:
    call = ToolCallPart(id="weather_1", name="weather", arguments={"city": "Oslo"})
    ours = ReasoningPart(text="I will check.", origin=Origin(provider="cohere", model="command-a-03-2025"))
    theirs = ReasoningPart(text="thinking...", origin=Origin(provider="anthropic", model="claude"))
    other_model = ReasoningPart(text="I will look.", origin=Origin(provider="cohere", model="command-r"))
    sent, warnings = body([Message.user("weather?"), Message.assistant([theirs, other_model, ours, call]),
                           Message.tool("weather_1", "18 C")])
    assert sent["messages"][1] == {"role": "assistant", "tool_plan": "I will check.",
                                   "tool_calls": [{"id": "weather_1", "type": "function", "function": {
                                       "name": "weather", "arguments": '{"city":"Oslo"}'}}]}
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": "weather_1", "content": [
        {"type": "document", "document": {"data": {"output": "18 C"}}}]}
    assert [(w.code, w.field) for w in warnings] == [("dropped-reasoning", "messages[1]")] * 2


def test_reasoning_without_calls_is_left_out_with_a_warning() -> None:
    thought = ReasoningPart(text="hmm", origin=Origin(provider="cohere", model="command-a-reasoning-08-2025"))
    sent, warnings = body([Message.user("2+2?"), Message.assistant([thought, TextPart(text="4")]),
                           Message.user("and 3+3?")])
    assert sent["messages"][1] == {"role": "assistant", "content": "4"}
    assert [w.field for w in warnings] == ["messages[1]"]


def test_other_providers_call_ids_are_mapped_the_same_for_call_and_result() -> None:
    call = ToolCallPart(id="functions.weather:0", name="weather")
    sent, _ = body([Message.user("w?"), Message.assistant([call]), Message.tool("functions.weather:0", "ok")])
    wire_id = sent["messages"][1]["tool_calls"][0]["id"]
    assert wire_id != call.id and sent["messages"][2]["tool_call_id"] == wire_id
    assert all(c.isalnum() or c in "_-" for c in wire_id)


@pytest.mark.feature("vision", provider="cohere")
def test_images_go_as_image_url_items() -> None:
    image = ImagePart(data=b"\x89PNG", media_type="image/png")
    sent, warnings = body([Message.user([TextPart(text="What is this?"), image])])
    assert sent["messages"][0]["content"] == [{"type": "text", "text": "What is this?"}, {
        "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]
    assert warnings == []
