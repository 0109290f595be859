"""Streamed reply objects to events: text, thinking, whole tool calls, usage, the finish."""

from __future__ import annotations

import pytest
from modelplex_ollama.reply import finish_of
from modelplex_ollama.stream import StreamParser
from ollama_helpers import call, chunk, lines

from modelplex import (
    Finished,
    FinishReason,
    ReasoningDelta,
    ResponseStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from modelplex.errors import ModelNotFoundError, ResponseParseError


def test_a_recorded_tool_call_stream() -> None:
    parser = StreamParser("ollama", "llama3.2")
    events = [e for item in lines("ollama/03_api_chat_stream_tools_docs") for e in parser.feed(item)]
    started = events[1]
    assert isinstance(started, ToolCallStarted) and started.name == "get_weather"
    assert events[0] == ResponseStarted(model="llama3.2")
    assert events[2] == ToolCallDelta(index=0, arguments='{"city":"Tokyo"}')
    assert isinstance(events[3], ToolCallEnded) and events[3].call.id == started.id
    assert events[4:] == [UsageReported(usage=Usage(input=169, output=15)),
                          Finished(reason=FinishReason.TOOL_CALLS, raw_reason="stop")]
    assert parser.done


def test_thinking_text_and_two_calls_numbered_across_objects() -> None:
    parser = StreamParser("ollama", "qwen3")
    assert parser.feed(chunk("4", thinking="2+2")) == [ResponseStarted(model="qwen3:8b"),
                                                        ReasoningDelta(text="2+2"), TextDelta(text="4")]
    first = parser.feed(chunk(tool_calls=[call("a", {})]))
    second = parser.feed(chunk(tool_calls=[call("b", {"x": [1]}, "call_ollama1")]))
    started = [(e.index, e.name) for e in first + second if isinstance(e, ToolCallStarted)]
    assert started == [(0, "a"), (1, "b")]
    ended = [e.call for e in first + second if isinstance(e, ToolCallEnded)]
    assert ended[1].id == "call_ollama1" and ended[0].id.startswith("call_") and ended[0].id != ended[1].id
    assert ended[1].arguments == {"x": [1]}
    assert parser.feed(chunk(done=True, done_reason="length", output=3))[-1] == Finished(
        reason=FinishReason.LENGTH, raw_reason="length")


@pytest.mark.parametrize(("reason", "calls", "finish"), [
    ("stop", False, FinishReason.STOP), ("stop", True, FinishReason.TOOL_CALLS),
    ("length", False, FinishReason.LENGTH), ("length", True, FinishReason.LENGTH),
    (None, False, FinishReason.STOP), ("load", False, FinishReason.OTHER)])
def test_finish_reasons(reason: str | None, calls: bool, finish: FinishReason) -> None:
    assert finish_of(reason, calls) is finish


def test_what_is_not_a_reply_object() -> None:
    parser = StreamParser("ollama", "m")
    with pytest.raises(ResponseParseError, match=r"\$: expected object, got list"):
        parser.feed([1, 2])
    with pytest.raises(ModelNotFoundError, match="ollama/m"):
        parser.feed({"error": 'model "m" not found, try pulling it first'})
