"""The stream parser on hand-written event sequences: every block and delta kind, usage merged from
``message_start`` and ``message_delta``, ``error`` events, cut streams, and chunk boundaries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_anthropic.body import Plan, build_plan
from modelplex_anthropic.stream import stream_events

import modelplex
from modelplex import (
    ChatOptions,
    ChatRequest,
    Finished,
    FinishReason,
    Message,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
    WarningRaised,
)
from modelplex.errors import (
    BadRequestError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    StreamInterruptedError,
)
from modelplex_testing import ChunkedStream
from modelplex_testing import strategies as mst

MODEL = "claude-sonnet-4-5"


def sse(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def start(usage: dict[str, Any] | None = None) -> bytes:
    return sse("message_start", {"message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [], "stop_reason": None,
        "usage": usage or {"input_tokens": 10, "cache_read_input_tokens": 100,
                           "cache_creation_input_tokens": 20, "output_tokens": 1}}})


def block(index: int, content: dict[str, Any]) -> bytes:
    return sse("content_block_start", {"index": index, "content_block": content})


def delta(index: int, content: dict[str, Any]) -> bytes:
    return sse("content_block_delta", {"index": index, "delta": content})


def stop(index: int) -> bytes:
    return sse("content_block_stop", {"index": index})


def end(reason: str = "end_turn", usage: dict[str, Any] | None = None) -> list[bytes]:
    return [sse("message_delta", {"delta": {"stop_reason": reason, "stop_sequence": None},
                                  "usage": usage or {"output_tokens": 42}}), sse("message_stop", {})]


EVERYTHING = [
    start(), sse("ping", {}),
    block(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Let me "}),
    delta(0, {"type": "thinking_delta", "thinking": "think."}),
    delta(0, {"type": "signature_delta", "signature": "c2lnLTE="}), stop(0),
    block(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va"}), stop(1),
    block(2, {"type": "text", "text": ""}),
    delta(2, {"type": "text_delta", "text": "Checking "}),
    delta(2, {"type": "citations_delta", "citation": {"type": "char_location"}}),
    delta(2, {"type": "text_delta", "text": "both."}), stop(2),
    block(3, {"type": "tool_use", "id": "toolu_w", "name": "weather", "input": {}}),
    block(4, {"type": "tool_use", "id": "toolu_t", "name": "time", "input": {}}),
    delta(3, {"type": "input_json_delta", "partial_json": ""}),
    delta(3, {"type": "input_json_delta", "partial_json": '{"city": "Zür'}),
    delta(4, {"type": "input_json_delta", "partial_json": '{"tz":"CET"}'}),
    delta(3, {"type": "input_json_delta", "partial_json": 'ich"}'}),
    stop(4), stop(3),
    block(5, {"type": "tool_use", "id": "toolu_n", "name": "now", "input": {}}), stop(5),
    *end("tool_use", {"input_tokens": 10, "cache_read_input_tokens": 100,
                      "cache_creation_input_tokens": 20, "output_tokens": 42}),
]
EXPECTED: list[StreamEvent] = [
    ResponseStarted(id="msg_1", model="claude-sonnet-4-5-20250929"),
    UsageReported(usage=Usage(input=10, cache_read=100, cache_write=20, output=1)),  # the input, at once
    ReasoningDelta(text="Let me "), ReasoningDelta(text="think."), ReasoningDelta(signature="c2lnLTE="),
    ReasoningDelta(redacted_data="EmwKAhgBEgy3va"),
    TextDelta(text="Checking "), TextDelta(text="both."),
    ToolCallStarted(index=3, id="toolu_w", name="weather"),
    ToolCallStarted(index=4, id="toolu_t", name="time"),
    ToolCallDelta(index=3, arguments='{"city": "Zür'), ToolCallDelta(index=4, arguments='{"tz":"CET"}'),
    ToolCallDelta(index=3, arguments='ich"}'),
    ToolCallEnded(index=4, call=ToolCallPart(id="toolu_t", name="time", arguments={"tz": "CET"})),
    ToolCallEnded(index=3, call=ToolCallPart(id="toolu_w", name="weather", arguments={"city": "Zürich"})),
    ToolCallStarted(index=5, id="toolu_n", name="now"),
    ToolCallEnded(index=5, call=ToolCallPart(id="toolu_n", name="now")),
    UsageReported(usage=Usage(input=10, cache_read=100, cache_write=20, output=42)),
    Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_use"),
]


def a_plan(**options: Any) -> Plan:
    request = ChatRequest(model=MODEL, messages=[Message.user("hi")], options=ChatOptions(**options))
    return build_plan("anthropic", request, stream=True)


def collect(chunks: Sequence[bytes],
            plan: Plan | None = None) -> tuple[list[StreamEvent], BaseException | None]:
    events: list[StreamEvent] = []

    async def go() -> None:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  stream=ChunkedStream(list(chunks)))
        async for event in stream_events(plan or a_plan(), response):
            events.append(event)

    try:
        asyncio.run(go())
    except Exception as exc:
        return events, exc
    return events, None


def test_every_kind_of_block_and_delta() -> None:
    events, error = collect(EVERYTHING)
    assert error is None
    assert events == EXPECTED


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_chunk_boundaries_do_not_matter(data: st.DataObject) -> None:
    body = b"".join(EVERYTHING)
    assert collect(data.draw(mst.stream_splits(body))) == (EXPECTED, None)


def test_crlf_line_ends_and_trailing_spaces() -> None:
    body = b"".join(EVERYTHING).replace(b"\n", b"\r\n").replace(b"}\r\n", b"}   \r\n")
    assert collect([body]) == (EXPECTED, None)


def test_usage_merges_start_and_delta() -> None:
    """Older servers send the input counts only in message_start, the final output in message_delta."""
    events, _ = collect([start({"input_tokens": 7, "output_tokens": 1}), *end(usage={"output_tokens": 9})])
    assert events[1:] == [UsageReported(usage=Usage(input=7, output=1)),  # the start's, at once
                          UsageReported(usage=Usage(input=7, output=9)),
                          Finished(reason=FinishReason.STOP, raw_reason="end_turn")]


@pytest.mark.parametrize(("kind", "error", "status"), [
    ("overloaded_error", ServerError, 529), ("api_error", ServerError, 500),
    ("rate_limit_error", RateLimitError, 429), ("invalid_request_error", BadRequestError, 400)])
def test_an_error_event_raises_after_what_was_delivered(kind: str, error: type[Exception],
                                                        status: int) -> None:
    chunks = [start(), block(0, {"type": "text", "text": ""}),
              delta(0, {"type": "text_delta", "text": "Hel"}),
              sse("error", {"error": {"type": kind, "message": "Overloaded"}}), *end()]
    events, raised = collect(chunks)
    assert events[-1] == TextDelta(text="Hel")
    assert isinstance(raised, error)
    assert raised.status_code == status and raised.code == kind  # type: ignore[attr-defined]
    assert raised.is_retryable is (status in (429, 500, 529))  # type: ignore[attr-defined]
    assert "anthropic/claude-sonnet-4-5: Overloaded" in str(raised)


@pytest.mark.parametrize("cut", [1, 3, 5, len(EVERYTHING) - 1])
def test_a_stream_without_message_stop_is_interrupted(cut: int) -> None:
    events, raised = collect(EVERYTHING[:cut])
    assert isinstance(raised, StreamInterruptedError)
    assert "before message_stop" in str(raised) and "anthropic/claude-sonnet-4-5" in str(raised)
    assert events == EXPECTED[:len(events)] and not any(isinstance(e, Finished) for e in events)


def test_a_stream_cut_inside_an_event() -> None:
    body = b"".join(EVERYTHING[:4])
    events, raised = collect([body[:-9]])
    assert events == EXPECTED[:2]  # the first thinking delta was cut in half
    assert isinstance(raised, StreamInterruptedError) and "in the middle of an event" in str(raised)


def test_events_after_message_stop_are_not_read() -> None:
    events, raised = collect([*EVERYTHING, b"data: not json\n\n"])
    assert raised is None and events == EXPECTED


@pytest.mark.parametrize("chunk", [b"data: {not json\n\n", b"data: [1, 2]\n\n",
                                   delta(9, {"type": "text_delta", "text": "x"}),
                                   sse("content_block_stop", {})])
def test_what_breaks_the_format_is_a_parse_error(chunk: bytes) -> None:
    _, raised = collect([start(), chunk, *end()])
    assert isinstance(raised, ResponseParseError) and "anthropic" in str(raised)


def test_unknown_blocks_and_events_are_skipped() -> None:
    chunks = [start(), sse("brand_new_event", {"x": 1}),
              block(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
              delta(0, {"type": "input_json_delta", "partial_json": '{"q": "x"}'}), stop(0), *end()]
    events, raised = collect(chunks)
    assert raised is None
    assert [type(e) for e in events] == [ResponseStarted, UsageReported, WarningRaised, UsageReported,
                                         Finished]
    assert events[2].warning.code == "ignored-content"  # type: ignore[union-attr]


def test_a_tool_call_given_whole_at_its_start() -> None:
    chunks = [start(), block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}), stop(0),
              *end("tool_use")]
    events, _ = collect(chunks)
    assert ToolCallEnded(index=0, call=ToolCallPart(id="t", name="f", arguments={"a": 1})) in events


def test_unparsable_arguments_are_kept_raw() -> None:
    chunks = [start(), block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}}),
              delta(0, {"type": "input_json_delta", "partial_json": '{"a": 1'}), stop(0), *end("max_tokens")]
    events, _ = collect(chunks)
    assert ToolCallEnded(index=0, call=ToolCallPart(id="t", name="f", raw_arguments='{"a": 1')) in events
    assert events[-1] == Finished(reason=FinishReason.LENGTH, raw_reason="max_tokens")


def test_the_response_format_tool_streams_as_text() -> None:
    plan = a_plan(response_format=ResponseFormat(type="json_schema", name="city",
                                                 schema={"type": "object", "properties": {}}))
    chunks = [start(), block(0, {"type": "tool_use", "id": "t", "name": "city", "input": {}}),
              delta(0, {"type": "input_json_delta", "partial_json": '{"city": '}),
              delta(0, {"type": "input_json_delta", "partial_json": '"Paris"}'}), stop(0), *end("tool_use")]
    events, raised = collect(chunks, plan)
    assert raised is None
    assert events[2:4] == [TextDelta(text='{"city": '), TextDelta(text='"Paris"}')]
    assert not any(isinstance(e, ToolCallStarted | ToolCallEnded) for e in events)
    assert events[-1] == Finished(reason=FinishReason.STOP, raw_reason="tool_use")
    whole, _ = collect([start(), block(0, {"type": "tool_use", "id": "t", "name": "city",
                                           "input": {"city": "Oslo"}}), stop(0), *end("tool_use")], plan)
    assert TextDelta(text='{"city": "Oslo"}') in whole


def test_warnings_come_first() -> None:
    plan = a_plan(seed=3)

    async def go() -> list[StreamEvent]:
        response = httpx.Response(200, stream=ChunkedStream([b"".join(EVERYTHING)]))
        return [e async for e in stream_events(plan, response, plan.warnings)]

    events = asyncio.run(go())
    assert events[0] == WarningRaised(warning=plan.warnings[0]) and events[1:] == EXPECTED


def _stream_through_client(chunks: Sequence[bytes]) -> modelplex.ChatResponse:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=ChunkedStream(list(chunks)))

    async def go() -> modelplex.ChatResponse:
        async with modelplex.AsyncClient(config_file=False, env={}, transport=httpx.MockTransport(handle),
                                         providers={"anthropic": {"api_key": "k-test"}}) as client, \
                client.stream(f"anthropic/{MODEL}", "hi") as stream:
            return await stream.get_response()

    return asyncio.run(go())


def test_the_client_assembles_the_parts_in_order() -> None:
    response = _stream_through_client(EVERYTHING)
    origin = modelplex.Origin(provider="anthropic", model=MODEL)
    assert response.parts == (
        ReasoningPart(text="Let me think.", signature="c2lnLTE=", origin=origin),
        ReasoningPart(text="", redacted_data="EmwKAhgBEgy3va", origin=origin),
        modelplex.TextPart(text="Checking both."),
        ToolCallPart(id="toolu_w", name="weather", arguments={"city": "Zürich"}),
        ToolCallPart(id="toolu_t", name="time", arguments={"tz": "CET"}),
        ToolCallPart(id="toolu_n", name="now"))
    assert response.id == "msg_1" and response.model == "claude-sonnet-4-5-20250929"


def test_consecutive_redacted_blocks_stay_apart() -> None:
    chunks = [start(), block(0, {"type": "redacted_thinking", "data": "AAA"}), stop(0),
              block(1, {"type": "redacted_thinking", "data": "BBB"}), stop(1), *end()]
    assert [p.redacted_data for p in _stream_through_client(chunks).parts] == ["AAA", "BBB"]
