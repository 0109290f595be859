"""The Responses API pieces one by one: the request body, whole responses, stream events, and when
a failed ``/responses`` means "this server has no such route"."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from modelplex_openai.responses_body import build_responses_body
from modelplex_openai.responses_parse import parse_responses
from modelplex_openai.responses_stream import ResponsesStream
from modelplex_openai.responses_tools import ResponsesToolCodec
from modelplex_openai.responses_usage import responses_usage
from modelplex_openai.route import is_missing_route
from modelplex_openai_compat import Call, Profile, SSEEvent, Stages

from modelplex import (
    ChatOptions,
    ChatRequest,
    FinishReason,
    ImagePart,
    Message,
    ReasoningDelta,
    ResponseFormat,
    TextDelta,
    TextPart,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
)
from modelplex.errors import RateLimitError, ServerError


def call(*messages: Message, stream: bool = False, **options: Any) -> Call:
    request = ChatRequest(model="gpt-x", messages=messages or (Message.user("hi"),),
                          options=ChatOptions(**options))
    return Call(provider="openai", model="gpt-x", request=request, profile=Profile(),
                codec=ResponsesToolCodec(), stages=Stages(), stream=stream)


@pytest.mark.feature("json_schema", "vision", provider="openai")
def test_body_options_images_and_structured_output() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body, warnings = build_responses_body(call(
        Message.system("Be brief."), Message.system("Be kind."),
        Message.user([TextPart(text="What is this?"), ImagePart(url="https://x/a.png")]),
        temperature=0.5, max_tokens=20, stop=("END",), seed=1,
        response_format=ResponseFormat(type="json_schema", schema=schema, name="out", strict=True)))
    assert body == {
        "model": "gpt-x", "stream": False, "instructions": "Be brief.\n\nBe kind.",
        "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://x/a.png"}]}],
        "temperature": 0.5, "max_output_tokens": 20,
        "text": {"format": {"type": "json_schema", "name": "out", "schema": schema,
                            "strict": True}}}
    assert sorted(w.field for w in warnings) == ["seed", "stop"]


def test_a_schemas_description_goes_in_text_format() -> None:
    fmt = ResponseFormat(type="json_schema", schema={"type": "object"}, description="A city.")
    body, warnings = build_responses_body(call(Message.user("Where?"), response_format=fmt))
    assert body["text"]["format"] == {"type": "json_schema", "name": "response",
                                      "description": "A city.", "schema": {"type": "object"}}
    assert warnings == []


def test_assistant_text_and_error_results() -> None:
    body, warnings = build_responses_body(call(Message.assistant("Earlier answer."),
                                               Message.tool("c1", "boom", is_error=True)))
    assert body["input"] == [{"role": "assistant", "content": "Earlier answer."},
                             {"type": "function_call_output", "call_id": "c1", "output": "boom"}]
    assert [w.code for w in warnings] == ["dropped-field"]


def test_call_ids_are_unique_in_the_input_and_plain() -> None:
    """Outputs find their call by call_id across the whole input: ``call_0`` from two turns (a server
    that numbers each reply's calls) would be ambiguous, and the API refuses a call_id over 64
    characters ("Invalid 'input[2].call_id': string too long"). Such ids are sent in a plain form,
    the same for the call and its output; an id that is fine is kept."""
    long_id = "x" * 65
    body, warnings = build_responses_body(call(
        Message.user("Time twice?"),
        Message.assistant(ToolCallPart(id="call_0", name="get_time")), Message.tool("call_0", "12:00"),
        Message.assistant(ToolCallPart(id="call_0", name="get_time")), Message.tool("call_0", "12:01"),
        Message.assistant(ToolCallPart(id="functions.get_time:0", name="get_time")),
        Message.assistant(ToolCallPart(id=long_id, name="get_time")),
        Message.tool("functions.get_time:0", "12:02"), Message.tool(long_id, "12:03")))
    assert warnings == []
    calls = [i["call_id"] for i in body["input"] if i.get("type") == "function_call"]
    outputs = {i["output"]: i["call_id"] for i in body["input"] if i.get("type") == "function_call_output"}
    assert calls[0] == "call_0" and len(set(calls)) == 4
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", c) for c in calls)
    assert outputs == {"12:00": calls[0], "12:01": calls[1], "12:02": calls[2], "12:03": calls[3]}


def _response(output: list[Any], **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "model": "gpt-x-1", "status": "completed", "output": output, **extra}


def test_incomplete_failed_refusal_and_unknown_items() -> None:
    cut = parse_responses(call(), _response(
        [{"type": "message", "content": [{"type": "output_text", "text": "Partial"}]}],
        status="incomplete", incomplete_details={"reason": "max_output_tokens"}))
    assert cut.finish_reason is FinishReason.LENGTH and cut.raw_finish_reason == "max_output_tokens"
    assert cut.usage.estimated
    refused = parse_responses(call(), _response([
        {"type": "message", "content": [{"type": "refusal", "refusal": "I can't."}]},
        {"type": "web_search_call", "id": "ws_1"}]))
    assert refused.text == "I can't."
    assert [w.code for w in refused.warnings] == ["refusal", "unknown-output"]
    with pytest.raises(ServerError, match="overloaded"):
        parse_responses(call(), _response([], status="failed",
                                          error={"code": "server_error", "message": "overloaded"}))


def test_usage_buckets_with_cache_writes() -> None:
    assert responses_usage({"input_tokens": 100, "output_tokens": 30,
                            "input_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 10},
                            "output_tokens_details": {"reasoning_tokens": 20}}) == Usage(
        input=30, cache_read=60, cache_write=10, output=10, reasoning=20)


def events(state: ResponsesStream, *data: dict[str, Any]) -> list[Any]:
    return [e for d in data for e in state.event(SSEEvent(data=json.dumps(d)))]


def test_stream_items_and_reasoning_summaries() -> None:
    state = ResponsesStream(call(stream=True))
    out = events(
        state,
        {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "One."},
        {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 1},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "Two."},
        {"type": "response.output_item.done", "output_index": 0, "item": {
            "type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "One."},
                                                           {"type": "summary_text", "text": "Two."}]}},
        # A call whose "added" event never came: started at its first argument delta.
        {"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "{}"},
        {"type": "response.output_item.done", "output_index": 1, "item": {
            "type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}},
        # A message whose text came only whole.
        {"type": "response.output_item.done", "output_index": 2, "item": {
            "type": "message", "content": [{"type": "output_text", "text": "Done."}]}})
    assert [e.text for e in out if isinstance(e, ReasoningDelta)] == ["One.", "\n\n", "Two.", ""]
    assert [e for e in out if isinstance(e, ReasoningDelta)][-1].signature == "rs_1"
    assert [type(e) for e in out if isinstance(e, ToolCallStarted | ToolCallEnded)] == [
        ToolCallStarted, ToolCallEnded]
    assert out[-1] == TextDelta(text="Done.")
    whole = parse_responses(call(), _response([
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "One."},
                                                        {"type": "summary_text", "text": "Two."}]}]))
    assert whole.reasoning == "One.\n\nTwo."


def test_stream_error_events() -> None:
    with pytest.raises(RateLimitError):
        events(ResponsesStream(call()), {"type": "error", "code": "rate_limit_exceeded",
                                         "message": "slow down", "status": 429})
    with pytest.raises(ServerError, match="boom"):
        events(ResponsesStream(call()), {"type": "response.failed", "response": {
            "status": "failed", "error": {"code": "server_error", "message": "boom"}}})


@pytest.mark.parametrize(("status", "body", "missing"), [
    (404, b'{"error": {"message": "Invalid URL (POST /v1/responses)"}}', True),
    (404, b'{"detail": "Not Found"}', True),
    (405, b"Method Not Allowed", True),
    (400, b'{"error": {"message": "Unexpected endpoint or method. (POST /v1/responses)"}}', True),
    (404, b'{"error": {"message": "The model `x` does not exist", "code": "model_not_found"}}',
     False),
    (404, b'{"error": {"message": "model \'llama\' not found"}}', False),
    (400, b'{"error": {"message": "Invalid value for temperature"}}', False),
    (401, b'{"error": {"message": "Incorrect API key"}}', False),
    (200, b'{"error": "Unexpected endpoint or method. (POST /v1/responses)"}', True),
    (200, b'{"id": "resp_1", "output": []}', False),
])
def test_what_counts_as_a_missing_route(status: int, body: bytes, missing: bool) -> None:
    assert is_missing_route(status, body) is missing
