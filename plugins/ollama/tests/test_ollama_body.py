"""The /api/chat body and messages: options, think, format, tools and tool choice, history."""

from __future__ import annotations

from typing import Any

import pytest
from modelplex_ollama.body import build_body
from modelplex_ollama.messages import same_model

from modelplex import (
    ChatOptions,
    ChatRequest,
    ImagePart,
    Message,
    Origin,
    ProviderSettings,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
)
from modelplex.errors import UnsupportedFeatureError

SETTINGS = ProviderSettings(name="ollama", plugin="ollama")
TOOLS = (Tool(name="a"), Tool(name="b", strict=True))


def body(options: ChatOptions | None = None, messages: tuple[Message, ...] = (Message.user("hi"),),
         settings: ProviderSettings = SETTINGS, model: str = "qwen3") -> tuple[dict[str, Any], list[str]]:
    out, warnings = build_body(settings, ChatRequest(model=model, messages=messages,
                                                     options=options or ChatOptions()), stream=True)
    return out, [f"{w.code}:{w.field}" for w in warnings]


def test_nothing_asked_sends_nothing_extra() -> None:
    assert body() == ({"model": "qwen3", "messages": [{"role": "user", "content": "hi"}], "stream": True}, [])


@pytest.mark.parametrize(("options", "think", "warned"), [
    (ChatOptions(reasoning_effort="low"), "low", []),
    (ChatOptions(reasoning_budget=0), False, []),
    (ChatOptions(reasoning_budget=2048), True, ["unsupported-setting:reasoning_budget"]),
    (ChatOptions(reasoning_effort="high", reasoning_budget=10), "high",
     ["unsupported-setting:reasoning_budget"]),
])
def test_think_from_the_reasoning_options(options: ChatOptions, think: Any, warned: list[str]) -> None:
    out, warnings = body(options)
    assert out["think"] == think and warnings == warned


def test_format_for_json_and_json_schema() -> None:
    assert body(ChatOptions(response_format=ResponseFormat(type="json_object")))[0]["format"] == "json"
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert body(ChatOptions(response_format=ResponseFormat(type="json_schema", schema=schema)))[0][
        "format"] == schema
    assert "format" not in body(ChatOptions(response_format=ResponseFormat(type="text")))[0]


def test_options_settings_then_fields_then_extra() -> None:
    settings = ProviderSettings(name="ollama", plugin="ollama", options={
        "options": {"top_k": 10, "num_gpu": 1}, "num_ctx": 4096, "keep_alive": -1})
    out, _ = body(ChatOptions(temperature=0.1, top_p=0.9, max_tokens=5, seed=1, stop=("x",),
                              extra={"top_k": 40, "num_ctx": 8192, "think": False, "keep_alive": "1h",
                                     "options": {"min_p": 0.05}}), settings=settings)
    assert out["options"] == {"top_k": 40, "num_gpu": 1, "num_ctx": 8192, "temperature": 0.1, "top_p": 0.9,
                              "num_predict": 5, "seed": 1, "stop": ["x"], "min_p": 0.05}
    assert out["think"] is False and out["keep_alive"] == "1h"


def test_tool_choice_offers_the_tools_it_can() -> None:
    out, warnings = body(ChatOptions(tools=TOOLS))
    assert [t["function"]["name"] for t in out["tools"]] == ["a", "b"]
    assert warnings == ["unsupported-setting:tools.b.strict"]
    out, warnings = body(ChatOptions(tools=TOOLS, tool_choice=ToolChoice.none()))
    assert "tools" not in out and warnings == []
    out, warnings = body(ChatOptions(tools=TOOLS, tool_choice=ToolChoice.tool("a")))
    assert [t["function"]["name"] for t in out["tools"]] == ["a"]
    assert warnings == ["unsupported-setting:tool_choice"]
    out, warnings = body(ChatOptions(tools=TOOLS[:1], tool_choice=ToolChoice.required(),
                                     parallel_tool_calls=True))
    assert len(out["tools"]) == 1
    assert warnings == ["unsupported-setting:parallel_tool_calls", "unsupported-setting:tool_choice"]
    assert body(ChatOptions(tool_choice=ToolChoice.auto()))[1] == ["unsupported-setting:tool_choice"]


def test_history_images_reasoning_and_tool_results() -> None:
    own = ReasoningPart(text="hmm", origin=Origin(provider="ollama", model="qwen3:latest"))
    other = ReasoningPart(text="secret", origin=Origin(provider="anthropic", model="claude"))
    messages = (
        Message.system("Be brief."),
        Message.user([TextPart(text="What is this?"), ImagePart(url="data:image/png;base64,iVBORw0K")]),
        Message.assistant([own, other, TextPart(text="Let me look."),
                           ToolCallPart(id="c1", name="lookup", arguments={"q": "x"})]),
        Message.tool("c1", "found", is_error=True),
    )
    out, warnings = body(messages=messages)
    assert out["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is this?", "images": ["iVBORw0K"]},
        {"role": "assistant", "content": "Let me look.", "thinking": "hmm",
         "tool_calls": [{"id": "c1", "function": {"name": "lookup", "arguments": {"q": "x"}}}]},
        {"role": "tool", "content": "found", "tool_name": "lookup", "tool_call_id": "c1"}]
    assert warnings == ["dropped-reasoning:messages[2]", "dropped-field:messages[3]"]


def test_a_result_without_a_name_is_named_after_the_latest_call_with_its_id() -> None:
    """``call_0`` twice (a server numbering each reply's calls): each result names the tool of the
    call it answers, the latest before it, not the last one in the conversation."""
    messages = (
        Message.user("Weather, then time?"),
        Message.assistant(ToolCallPart(id="call_0", name="get_weather")), Message.tool("call_0", "rain"),
        Message.assistant(ToolCallPart(id="call_0", name="get_time")), Message.tool("call_0", "12:00"),
    )
    out, warnings = body(messages=messages)
    assert [(m["content"], m["tool_name"]) for m in out["messages"] if m["role"] == "tool"] == [
        ("rain", "get_weather"), ("12:00", "get_time")]
    assert warnings == []


def test_an_image_url_is_refused_not_fetched() -> None:
    with pytest.raises(UnsupportedFeatureError, match="not URLs"):
        body(messages=(Message.user([ImagePart(url="https://example.com/cat.png")]),))


def test_same_model() -> None:
    assert same_model("llama3.2", "llama3.2:latest") and not same_model("llama3.2", "llama3.2:1b")
    assert same_model("hf.co/u/m:Q4", "hf.co/u/m:Q4")
