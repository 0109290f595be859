"""Streams: events as chunks arrive, any chunking, cut streams, errors inside a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from gemini_helpers import KEY, Handler, answering, reply, sse, stream
from hypothesis import given, settings
from hypothesis import strategies as st

from modelplex import (
    Finished,
    FinishReason,
    ReasoningDelta,
    ResponseStarted,
    TextDelta,
    ToolCallEnded,
    UsageReported,
    WarningRaised,
)
from modelplex.errors import ResponseParseError, ServerError, StreamInterruptedError
from modelplex_testing import split_at

CHUNKS = [reply({"text": "Überlegung…", "thought": True}, finish=None),
          reply({"text": "Ja — ", "thoughtSignature": "SIG/+=="}, finish=None),
          reply({"text": "sicher. 🚦"}, {"functionCall": {"name": "f", "args": {"q": "ß"}}},
                usage={"promptTokenCount": 3, "candidatesTokenCount": 4, "thoughtsTokenCount": 5})]
BODY = sse(*CHUNKS)


class Chunks(httpx.AsyncByteStream):
    """A body delivered in the given pieces; ``fail`` raises a read error after them."""

    def __init__(self, pieces: list[bytes], fail: bool = False) -> None:
        self.pieces, self.fail = pieces, fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.fail:
            raise httpx.ReadError("connection reset")


def serving(pieces: list[bytes], fail: bool = False) -> Handler:
    return Handler(lambda _: httpx.Response(200, headers={"content-type": "text/event-stream"},
                                            stream=Chunks(pieces, fail)))


def collect(handler: Handler) -> tuple[list[Any], BaseException | None]:
    events: list[Any] = []
    try:
        stream_into(handler, events)
    except Exception as exc:  # the test looks at what was raised, after what was delivered
        return events, exc
    return events, None


def stream_into(handler: Handler, events: list[Any]) -> None:
    from gemini_helpers import client

    async def go() -> None:
        async with client(handler) as c, c.stream("gemini/gemini-2.5-flash", "hi") as s:
            async for event in s:
                events.append(event)
    asyncio.run(go())


def test_events_of_a_stream() -> None:
    response, events = stream(answering(BODY, stream=True))
    assert events[0] == ResponseStarted(id="resp-1", model="gemini-2.5-flash")
    assert [e for e in events if isinstance(e, ReasoningDelta | TextDelta)] == [
        ReasoningDelta(text="Überlegung…"), ReasoningDelta(signature="SIG/+=="),
        TextDelta(text="Ja — "), TextDelta(text="sicher. 🚦")]
    assert isinstance(events[-3], ToolCallEnded) and events[-3].call.arguments == {"q": "ß"}
    assert isinstance(events[-2], UsageReported) and events[-1] == Finished(
        reason=FinishReason.TOOL_CALLS, raw_reason="STOP")
    assert response.text == "Ja — sicher. 🚦" and response.reasoning == "Überlegung…"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(BODY) - 1), max_size=30))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    reference, _ = collect(serving([BODY]))
    events, error = collect(serving(split_at(BODY, cuts)))
    assert error is None and events == reference


@pytest.mark.parametrize("keep", [0, 1, 2])
def test_a_stream_cut_before_its_finish_reason_raises_after_what_arrived(keep: int) -> None:
    body = sse(*CHUNKS[:keep]) + b'data: {"candidates": [{"content": {"parts": [{"text": "tru'
    events, error = collect(serving([body]))
    assert isinstance(error, StreamInterruptedError) and "gemini/gemini-2.5-flash" in str(error)
    assert "finish reason" in str(error)
    assert len([e for e in events if isinstance(e, ReasoningDelta | TextDelta)]) == [0, 1, 3][keep]
    assert not any(isinstance(e, Finished) for e in events)


def test_a_broken_connection_is_an_interruption_unless_the_reply_had_finished() -> None:
    events, error = collect(serving([sse(*CHUNKS[:2])], fail=True))
    assert isinstance(error, StreamInterruptedError) and "ReadError" in str(error)
    assert any(isinstance(e, TextDelta) for e in events)
    events, error = collect(serving([BODY], fail=True))
    assert error is None and isinstance(events[-1], Finished)


def test_a_chunk_after_the_finish_reason_is_still_read() -> None:
    late = {"candidates": [{"content": {"role": "model", "parts": [{"text": "", "thoughtSignature": "LATE"}]},
                            "index": 0}], "responseId": "resp-1"}
    response, _ = stream(answering(sse(*CHUNKS, late), stream=True))
    assert response.parts[-1].signature == "LATE"  # type: ignore[union-attr]


def test_an_error_inside_the_stream_is_mapped() -> None:
    failing = {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
    events, error = collect(serving([sse(CHUNKS[0], failing)]))
    assert isinstance(error, ServerError) and error.status_code == 503 and error.is_retryable
    assert "overloaded" in str(error) and KEY not in repr(error)
    assert any(isinstance(e, ReasoningDelta) for e in events)


def test_an_event_that_is_not_json() -> None:
    _, error = collect(serving([sse(CHUNKS[0]) + b"data: {not json\r\n\r\n"]))
    assert isinstance(error, ResponseParseError) and "not JSON" in str(error)


def test_an_error_status_is_raised_on_entering_the_stream() -> None:
    handler = answering({"error": {"code": 500, "message": "Internal error encountered.",
                                   "status": "INTERNAL"}}, status=500)
    events, error = collect(handler)
    assert isinstance(error, ServerError) and events == []


def test_request_warnings_come_first() -> None:
    from gemini_helpers import client

    events: list[Any] = []

    async def go() -> None:
        async with client(answering(BODY, stream=True)) as c, c.stream(
                "gemini/gemini-2.5-flash", "hi", parallel_tool_calls=False) as s:
            async for event in s:
                events.append(event)
    asyncio.run(go())
    assert isinstance(events[0], WarningRaised) and events[0].warning.field == "parallel_tool_calls"
