"""Options to a Messages API body: max_tokens from the table, thinking, tool choice, caching,
response_format through a forced tool, and a warning for everything that could not be sent."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from modelplex_anthropic import api
from modelplex_anthropic.body import FORMAT_TOOL, Plan, build_plan

from modelplex import (
    ChatOptions,
    ChatRequest,
    Message,
    Origin,
    ReasoningPart,
    ResponseFormat,
    Tool,
    ToolCallPart,
    ToolChoice,
)
from modelplex_testing import strategies as mst

TOOL = Tool(name="get_weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}})


def plan(model: str = "claude-sonnet-4-5", messages: list[Message] | None = None, stream: bool = False,
         **options: Any) -> Plan:
    request = ChatRequest(model=model, messages=messages or [Message.user("Hi")],
                          options=ChatOptions(**options))
    return build_plan("anthropic", request, stream=stream)


def codes(p: Plan) -> list[tuple[str, str | None]]:
    return [(w.code, w.field) for w in p.warnings]


def test_a_plain_request() -> None:
    p = plan(messages=[Message.system("Be brief."), Message.user("Hi")], stream=True)
    assert p.body == {"model": "claude-sonnet-4-5", "system": "Be brief.", "max_tokens": 64000,
                      "stream": True, "messages": [{"role": "user", "content": [
                          {"type": "text", "text": "Hi"}]}]}
    assert p.warnings == () and p.format_tool is None


@pytest.mark.parametrize(("model", "expected"), [
    ("claude-sonnet-4-5", 64000), ("claude-haiku-4-5-20251001", 64000), ("claude-opus-4-1-20250805", 32000),
    ("claude-opus-4-0", 32000), ("claude-3-7-sonnet-latest", 64000), ("claude-3-5-haiku-20241022", 8192),
    ("claude-3-opus-latest", 4096), ("claude-opus-4-6", 128000)])
def test_max_tokens_defaults_from_the_table(model: str, expected: int) -> None:
    p = plan(model)
    assert p.body["max_tokens"] == expected and p.warnings == ()


def test_max_tokens_given_or_unknown_model() -> None:
    assert plan(max_tokens=100).body["max_tokens"] == 100
    p = plan("claude-next-9")
    assert p.body["max_tokens"] == api.FALLBACK_MAX_TOKENS
    assert codes(p) == [("defaulted-setting", "max_tokens")]


def test_sampling_stop_seed_and_extra() -> None:
    p = plan(temperature=0.2, top_p=0.5, stop=["END", "##"], seed=7, extra={"top_k": 5,
                                                                         "metadata": {"user_id": "u1"}})
    assert {k: p.body[k] for k in ("temperature", "top_p", "stop_sequences", "top_k", "metadata")} == {
        "temperature": 0.2, "top_p": 0.5, "stop_sequences": ["END", "##"], "top_k": 5,
        "metadata": {"user_id": "u1"}}
    assert "seed" not in p.body and codes(p) == [("unsupported-setting", "seed")]


# -- thinking ---------------------------------------------------------------------------------------

def test_reasoning_budget_turns_thinking_on() -> None:
    p = plan(reasoning_budget=2048)
    assert p.body["thinking"] == {"type": "enabled", "budget_tokens": 2048} and p.warnings == ()
    assert "thinking" not in plan(reasoning_budget=0).body


@pytest.mark.parametrize(("effort", "budget"), list(api.EFFORT_BUDGETS.items()))
def test_reasoning_effort_is_a_budget(effort: str, budget: int) -> None:
    p = plan(reasoning_effort=effort)
    assert p.body["thinking"] == {"type": "enabled", "budget_tokens": budget} and p.warnings == ()


def test_budget_limits() -> None:
    both = plan(reasoning_budget=5000, reasoning_effort="low")
    assert both.body["thinking"]["budget_tokens"] == 5000
    assert codes(both) == [("ignored-setting", "reasoning_effort")]
    low = plan(reasoning_budget=100)
    assert low.body["thinking"]["budget_tokens"] == 1024
    assert codes(low) == [("adjusted-setting", "reasoning_budget")]
    high = plan(reasoning_effort="high", max_tokens=8000)
    assert high.body["thinking"]["budget_tokens"] == 7999
    assert codes(high) == [("adjusted-setting", "reasoning_effort")]
    cramped = plan(reasoning_budget=2000, max_tokens=1024)
    assert "thinking" not in cramped.body and codes(cramped) == [("unsupported-setting", "reasoning_budget")]
    old = plan("claude-3-5-haiku-20241022", reasoning_budget=2000)
    assert "thinking" not in old.body and codes(old) == [("unsupported-setting", "reasoning_budget")]


def test_what_thinking_cannot_be_combined_with() -> None:
    p = plan(reasoning_budget=2048, temperature=0.3, top_p=0.5, tools=[TOOL],
             tool_choice=ToolChoice.required())
    assert p.body["tool_choice"] == {"type": "auto"}
    assert "temperature" not in p.body and "top_p" not in p.body
    assert codes(p) == [("unsupported-setting", "temperature"), ("unsupported-setting", "top_p"),
                        ("unsupported-setting", "tool_choice")]
    fine = plan(reasoning_budget=2048, temperature=1.0, top_p=0.96, tools=[TOOL],
                tool_choice=ToolChoice.none())
    assert (fine.body["temperature"], fine.body["top_p"], fine.body["tool_choice"]) == (1.0, 0.96,
                                                                                         {"type": "none"})
    assert fine.warnings == ()


def test_thinking_is_left_off_when_the_tool_loop_lost_its_thinking_block() -> None:
    call = ToolCallPart(id="toolu_1", name="get_weather", arguments={"city": "Oslo"})
    loop = [Message.user("Weather?"), Message.assistant(call), Message.tool("toolu_1", "sunny")]
    p = plan(messages=loop, tools=[TOOL], reasoning_budget=2048)
    assert "thinking" not in p.body and codes(p) == [("unsupported-setting", "reasoning_budget")]
    mine = Origin(provider="anthropic", model="claude-sonnet-4-5")
    kept = ReasoningPart(text="hm", signature="s", origin=mine)
    loop[1] = Message.assistant([kept, call])
    assert plan(messages=loop, tools=[TOOL], reasoning_budget=2048).body["thinking"]["budget_tokens"] == 2048


# -- tools ------------------------------------------------------------------------------------------

def test_tools_and_choices() -> None:
    p = plan(tools=[TOOL], tool_choice=ToolChoice.tool("get_weather"))
    assert p.body["tools"] == [{"name": "get_weather", "description": "", "input_schema": TOOL.parameters}]
    assert p.body["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert "tool_choice" not in plan(tools=[TOOL]).body


@pytest.mark.parametrize(("choice", "wire"), [
    (None, {"type": "auto", "disable_parallel_tool_use": True}),
    (ToolChoice.required(), {"type": "any", "disable_parallel_tool_use": True}),
    (ToolChoice.tool("get_weather"),
     {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}),
    (ToolChoice.none(), {"type": "none"})])
def test_parallel_tool_calls_false(choice: ToolChoice | None, wire: dict[str, Any]) -> None:
    p = plan(tools=[TOOL], tool_choice=choice, parallel_tool_calls=False)
    assert p.body["tool_choice"] == wire and p.warnings == ()
    assert "tool_choice" not in plan(tools=[TOOL], parallel_tool_calls=True).body


def test_tool_settings_without_tools_are_warned_about() -> None:
    p = plan(tool_choice=ToolChoice.required())
    assert "tool_choice" not in p.body and codes(p) == [("unsupported-setting", "tool_choice")]
    forced = plan(parallel_tool_calls=False, response_format=ResponseFormat(type="json_object"))
    assert forced.body["tool_choice"] == {"type": "tool", "name": FORMAT_TOOL}
    assert codes(forced) == [("unsupported-setting", "tool_choice")]


# -- caching ----------------------------------------------------------------------------------------

def test_prompt_cache_marks_system_tools_and_the_last_block() -> None:
    mine = Origin(provider="anthropic", model="claude-sonnet-4-5")
    messages = [Message.system("Long stable instructions."), Message.user("Hi"),
                Message.assistant([ReasoningPart(text="t", signature="s", origin=mine)]),
                Message.user("More")]
    p = plan(messages=messages, tools=[TOOL, Tool(name="other")], prompt_cache=True)
    eph = {"type": "ephemeral"}
    assert p.body["system"] == [{"type": "text", "text": "Long stable instructions.", "cache_control": eph}]
    assert [t.get("cache_control") for t in p.body["tools"]] == [None, eph]
    assert p.body["messages"][-1]["content"] == [{"type": "text", "text": "More", "cache_control": eph}]
    marked = [b for m in p.body["messages"] for b in m["content"] if "cache_control" in b]
    assert len(marked) == 1
    prefill = plan(messages=messages[:3], prompt_cache=True)  # the last turn is a thinking block
    assert [b.get("cache_control") for b in prefill.body["messages"][-1]["content"]] == [None]
    assert "cache_control" not in str(plan(messages=messages, tools=[TOOL]).body)


# -- response_format --------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_json_schema_through_a_forced_tool() -> None:
    p = plan(response_format=ResponseFormat(type="json_schema", schema=SCHEMA, name="city"))
    assert p.format_tool == "city"
    assert p.body["tools"] == [{"name": "city", "description": p.body["tools"][0]["description"],
                                "input_schema": SCHEMA}]
    assert p.body["tool_choice"] == {"type": "tool", "name": "city"} and p.warnings == ()
    plain = plan(response_format=ResponseFormat(type="json_object"))
    assert plain.format_tool == FORMAT_TOOL and plain.body["tools"][0]["input_schema"] == {"type": "object"}
    # The core refuses a name Anthropic would not take as a tool's; one left out falls back too.
    odd = plan(response_format=ResponseFormat(type="json_schema", schema=SCHEMA, strict=True))
    assert odd.format_tool == FORMAT_TOOL
    assert codes(odd) == [("unsupported-setting", "response_format.strict")]
    assert plan(response_format=ResponseFormat()).format_tool is None


def test_a_schemas_description_is_told_in_the_forced_tools() -> None:
    p = plan(response_format=ResponseFormat(type="json_schema", schema=SCHEMA, name="city",
                                            description="The largest city of the country asked about."))
    [tool] = p.body["tools"]
    assert tool["description"].endswith(" The largest city of the country asked about.")
    assert p.warnings == ()


@pytest.mark.parametrize("options", [
    {"tools": [TOOL]}, {"reasoning_budget": 2048},
    {"response_format": ResponseFormat(type="json_schema", schema={"type": "array", "items": {}})}])
def test_json_output_that_cannot_be_forced_is_warned_about(options: dict[str, Any]) -> None:
    options.setdefault("response_format", ResponseFormat(type="json_schema", schema=SCHEMA))
    p = plan(**options)
    assert p.format_tool is None
    assert all(t["name"] != FORMAT_TOOL for t in p.body.get("tools", []))
    assert ("unsupported-setting", "response_format") in codes(p)


@settings(max_examples=150, deadline=None)
@given(mst.chat_requests())
def test_any_request_builds_a_body(request: ChatRequest) -> None:
    """Whatever the options, the body has what the API requires and nothing is None."""
    for stream in (False, True):
        p = build_plan("anthropic", request, stream=stream)
        body = {**p.body}
        for key in request.options.extra:
            body.pop(key, None)
        assert body.get("model", request.model) == request.model
        assert body.get("stream", stream) is stream
        assert None not in body.values()
        assert isinstance(body.get("max_tokens", 1), int)
        if "thinking" in body and "max_tokens" in body:
            assert api.MIN_THINKING_BUDGET <= body["thinking"]["budget_tokens"] < body["max_tokens"]
