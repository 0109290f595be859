"""The request body: options, structured output, tools, what a profile rules out, extra."""

from __future__ import annotations

from compat_helpers import make_call
from modelplex_openai_compat import Profile, build_body

from modelplex import ResponseFormat, Tool, ToolChoice

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
TOOL = Tool(name="f", strict=True)


def body(profile: Profile | None = None, stream: bool = False, **options: object) -> tuple:
    call = make_call(profile, stream=stream, **options)
    return build_body(call, [{"role": "user", "content": "hi"}])


def test_defaults_send_nothing_extra() -> None:
    assert body() == ({"model": "m-1", "messages": [{"role": "user", "content": "hi"}],
                       "stream": False}, [])


def test_sampling_options_and_the_max_tokens_field() -> None:
    sent, warnings = body(Profile(max_tokens_field="max_completion_tokens"), temperature=0.2,
                          top_p=0.9, max_tokens=100, stop=("END",), seed=7)
    assert {k: sent[k] for k in ("temperature", "top_p", "max_completion_tokens", "stop", "seed")
            } == {"temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 100, "stop": ["END"],
                  "seed": 7}
    assert "max_tokens" not in sent and warnings == []


def test_unsupported_options_are_left_out_with_warnings() -> None:
    sent, warnings = body(Profile(unsupported_options=("seed", "stop")), seed=1, stop=("x",))
    assert "seed" not in sent and "stop" not in sent
    assert sorted(w.field for w in warnings) == ["seed", "stop"]


def test_json_mode_and_json_schema() -> None:
    assert body(response_format=ResponseFormat(type="json_object"))[0]["response_format"] == {
        "type": "json_object"}
    fmt = ResponseFormat(type="json_schema", schema=SCHEMA, name="answer", strict=True)
    assert body(response_format=fmt)[0]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True}}
    unnamed = body(response_format=ResponseFormat(type="json_schema", schema=SCHEMA))[0]
    assert unnamed["response_format"]["json_schema"] == {"name": "response", "schema": SCHEMA}
    assert "response_format" not in body(response_format=ResponseFormat())[0]

def test_a_schemas_description_is_sent_beside_its_name() -> None:
    fmt = ResponseFormat(type="json_schema", schema=SCHEMA, name="answer",
                         description="The answer and nothing else.")
    sent, warnings = body(response_format=fmt)
    assert sent["response_format"]["json_schema"] == {
        "name": "answer", "description": "The answer and nothing else.", "schema": SCHEMA}
    assert warnings == []
    # JSON mode has no place for it, and it is metadata: left out without a warning.
    plain, warnings = body(Profile(supports_json_schema=False), response_format=fmt)
    assert plain["response_format"] == {"type": "json_object"} and len(warnings) == 1



def test_json_schema_falls_back_to_json_mode_with_a_warning() -> None:
    fmt = ResponseFormat(type="json_schema", schema=SCHEMA)
    sent, warnings = body(Profile(supports_json_schema=False), response_format=fmt)
    assert sent["response_format"] == {"type": "json_object"} and len(warnings) == 1
    sent, warnings = body(Profile(supports_json_schema=False, supports_json_object=False),
                          response_format=fmt)
    assert "response_format" not in sent and len(warnings) == 1


def test_tools_choice_and_parallel_calls() -> None:
    sent, warnings = body(tools=(TOOL,), tool_choice=ToolChoice.required(),
                          parallel_tool_calls=False)
    assert sent["tools"] == [{"type": "function", "function": {
        "name": "f", "description": "", "parameters": {"type": "object", "properties": {}},
        "strict": True}}]
    assert sent["tool_choice"] == "required" and sent["parallel_tool_calls"] is False
    assert warnings == []
    sent, warnings = body(Profile(supports_parallel_tool_calls=False,
                                  supports_tool_choice_required=False, supports_strict_tools=False),
                          tools=(TOOL,), tool_choice=ToolChoice.required(),
                          parallel_tool_calls=False)
    assert sent["tool_choice"] == "auto" and "parallel_tool_calls" not in sent
    assert "strict" not in sent["tools"][0]["function"]
    assert sorted(w.field for w in warnings) == ["parallel_tool_calls", "tool_choice",
                                                 "tools.f.strict"]


def test_tool_choice_without_tools_is_not_sent() -> None:
    sent, warnings = body(tool_choice=ToolChoice.auto())
    assert "tool_choice" not in sent and [w.field for w in warnings] == ["tool_choice"]


def test_extra_is_merged_last() -> None:
    sent, _ = body(temperature=0.1, extra={"temperature": 0.3, "reasoning_effort": "high"})
    assert sent["temperature"] == 0.3 and sent["reasoning_effort"] == "high"


def test_streams_ask_for_usage() -> None:
    assert body(stream=True)[0]["stream_options"] == {"include_usage": True}
    assert "stream_options" not in body(Profile(stream_usage=False), stream=True)[0]


def test_reasoning_effort_is_sent_and_a_budget_is_warned() -> None:
    sent, warnings = body(Profile(), reasoning_effort="high", reasoning_budget=2048, prompt_cache=True)
    assert sent["reasoning_effort"] == "high"
    assert "reasoning_budget" not in sent
    assert "prompt_cache" not in sent
    assert [w.field for w in warnings] == ["reasoning_budget"]


def test_reasoning_effort_a_server_rejects_is_warned_not_sent() -> None:
    sent, warnings = body(Profile(unsupported_options={"reasoning_effort"}), reasoning_effort="low")
    assert "reasoning_effort" not in sent
    assert [w.field for w in warnings] == ["reasoning_effort"]
