"""Whole responses: every server's way of carrying reasoning, calls, refusals; streams agree."""

from __future__ import annotations

from typing import Any

import pytest
from compat_helpers import Harness, make_call, recording, sse_response
from modelplex_openai_compat import CompatConfig, CompatProvider, Profile, parse_response

from modelplex import FinishReason, Origin, ReasoningPart, TextPart, ToolCallPart, Usage
from modelplex.errors import ResponseParseError


def parse(name_or_data: str | dict[str, Any], profile: Profile | None = None) -> Any:
    data = recording(name_or_data).response["body"] if isinstance(name_or_data, str) else name_or_data
    return parse_response(make_call(profile), data)


def message(msg: dict[str, Any], finish: str | None = "stop", **extra: Any) -> dict[str, Any]:
    return {"id": "r", "model": "m", "choices": [{"index": 0, "message": msg,
                                                  "finish_reason": finish}], **extra}


def test_reasoning_content_field() -> None:
    response = parse("deepseek/02_reasoning_content")
    assert response.reasoning.startswith("Okay, the user is asking how to cross the street.")
    assert response.text.startswith("Crossing the street safely")
    assert isinstance(response.parts[0], ReasoningPart) and isinstance(response.parts[1], TextPart)
    assert response.parts[0].origin == Origin(provider="acme", model="m-1")


def test_reasoning_field_groq() -> None:
    response = parse("groq/09_reasoning_field")
    assert response.text == "4" and response.reasoning.startswith("The user asks")
    assert response.usage == Usage(input=84, output=10, reasoning=95)


def test_reasoning_text_and_parallel_calls_deepseek() -> None:
    response = parse("deepseek/03_reasoning_parallel_tool_calls")
    assert [type(p) for p in response.parts] == [ReasoningPart, TextPart, ToolCallPart, ToolCallPart]
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("call_00_6edlnw3Z1MgeMfey687g8451", "get_player_name", {}),
        ("call_01_km02sac7sHxNDPATKLZy7705", "roll_dice", {})]
    assert response.finish_reason is FinishReason.TOOL_CALLS


def test_mistral_thinking_chunks() -> None:
    response = parse("mistral/06_thinking_chunks")
    assert response.text == "144" and response.reasoning.startswith("The user is asking")
    assert response.warnings == ()


def test_think_tags_only_where_the_profile_says() -> None:
    tagged = parse("together/01_text", Profile(think_tags=True))
    assert tagged.reasoning.startswith("Hmm, the user just said")
    assert tagged.reasoning.endswith("feels right here.\n")
    assert tagged.text == "Hello! 👋 How can I help you today?"
    plain = parse("together/01_text")
    assert plain.reasoning == "" and plain.text.startswith("<think>")


def test_azure_content_filter_fields_are_ignored() -> None:
    response = parse("azure/01_openai_deployment_chat_completions")
    assert response.text == "The capital of France is **Paris**." and response.warnings == ()
    assert response.model == "gpt-4o-2024-11-20" and response.id == "chatcmpl-BAeyRj7gU6aCNSSAskAFbupBWYMIT"


def test_empty_content_with_calls_gives_no_text_part() -> None:
    response = parse("mistral/02_parallel_tool_calls")
    assert all(isinstance(p, ToolCallPart) for p in response.parts)
    assert [c.id for c in response.tool_calls] == ["wyFNfgjhN", "5K7IOShCC"]


def test_refusal_is_text_with_a_warning() -> None:
    response = parse(message({"content": None, "refusal": "I can't help with that."}))
    assert response.text == "I can't help with that."
    assert [w.code for w in response.warnings] == ["refusal"]


def test_legacy_function_call() -> None:
    response = parse(message({"content": None, "function_call": {"name": "f", "arguments": "{}"}},
                             finish="function_call"))
    assert response.tool_calls == (ToolCallPart(id="call_0", name="f"),)
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.raw_finish_reason == "function_call"


def test_missing_usage_is_estimated() -> None:
    response = parse(message({"content": "abcdefgh"}))
    assert response.usage.estimated and response.usage.output == 2


def test_no_choices_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match="no choices"):
        parse({"id": "x", "choices": []})


def test_raw_body_on_demand() -> None:
    data = recording("openai/01_chat_text").response["body"]
    assert parse_response(make_call(), data).raw is None
    assert parse_response(make_call(include_raw=True), data).raw == data


BERLIN = {"latitude": "52.5200", "longitude": "13.4050"}


def streamed(name: str, profile: Profile | None = None) -> Any:
    provider = CompatProvider(CompatConfig(name="A", default_base_url="https://x.example"), profile)
    return Harness(provider).reply(sse_response(recording(name).body_bytes())).stream()[1]


@pytest.mark.parametrize(("name", "calls"), [
    ("deepseek/05_stream_tool_call",
     [ToolCallPart(id="call_00_MRi7F2sfOet5LgvlZL3W5236", name="weather", arguments=BERLIN)]),
    ("mistral/05_stream_tool_call",
     [ToolCallPart(id="g6fVbXS8K", name="weather", arguments=BERLIN)]),
])
def test_recorded_streamed_calls(name: str, calls: list[ToolCallPart]) -> None:
    response = streamed(name)
    assert list(response.tool_calls) == calls
    assert response.finish_reason is FinishReason.TOOL_CALLS and not response.usage.estimated


def test_a_streamed_call_equals_the_one_the_next_request_replays() -> None:
    """groq/04 streams a call (whole in one delta, after reasoning); groq/05's request sends it back."""
    from modelplex_openai_compat import OpenAIChatToolCodec

    response = streamed("groq/04_stream_reasoning_then_tool_call")
    replayed = recording("groq/05_stream_text").request_body["messages"][4]["tool_calls"][0]
    assert response.tool_calls == (OpenAIChatToolCodec().decode_tool_call(replayed),)
    assert response.reasoning.startswith("We need to call the function")
    assert response.usage == Usage(input=304, output=26, reasoning=23)


def test_streamed_and_whole_thinking_chunks_agree() -> None:
    """mistral/07 and mistral/06 answer the same prompt, streamed and whole."""
    stream, whole = streamed("mistral/07_stream_thinking"), parse("mistral/06_thinking_chunks")
    assert [type(p) for p in stream.parts] == [type(p) for p in whole.parts] == [ReasoningPart,
                                                                                 TextPart]
    assert stream.text == whole.text == "144"
