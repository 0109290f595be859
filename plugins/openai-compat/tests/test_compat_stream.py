"""Streams: tool calls rebuilt whatever the server's habits, usage, errors, and cut-off streams."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from compat_helpers import Harness, chunk, json_response, recording, sse, sse_response
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_openai_compat import CompatConfig, CompatProvider, Profile, response_events

from modelplex import (
    Finished,
    FinishReason,
    ReasoningDelta,
    ResponseStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from modelplex.errors import (
    BadRequestError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    StreamInterruptedError,
)
from modelplex_testing import strategies as mst


def tc(index: int | None, id_: str | None = None, name: str | None = None,
       args: str | None = None) -> dict[str, Any]:
    fn: dict[str, Any] = {}
    if name is not None:
        fn["name"] = name
    if args is not None:
        fn["arguments"] = args
    out: dict[str, Any] = {"id": id_, "type": "function" if id_ else None, "function": fn}
    if index is not None:
        out["index"] = index
    return out


def calls(*fragments: dict[str, Any]) -> list[dict[str, Any]]:
    return [chunk({"tool_calls": [f]}) for f in fragments]


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
EXPECTED = (ToolCallPart(id="call_a", name="get_weather", arguments={"city": "Paris"}),
            ToolCallPart(id="call_b", name="get_time", arguments={"tz": "CET"}))


def streamed(*chunks: Any, done: bool = True, profile: Profile | None = None,
             **options: Any) -> tuple[list[Any], Any]:
    provider = CompatProvider(CompatConfig(name="Acme", default_base_url="https://x.example/v1"),
                              profile)
    h = Harness(provider).reply(sse_response(sse(*chunks, done=done)))
    return h.stream(**options)


def test_parallel_calls_interleaved_by_index_with_null_ids_after_the_first() -> None:
    """litellm #20711 (id null after the first fragment) and #7621 (interleaved calls merged)."""
    events, response = streamed(*calls(
        tc(0, "call_a", "get_weather", ""), tc(1, "call_b", "get_time", ""),
        tc(0, None, None, '{"city"'), tc(1, None, None, '{"tz":'), tc(0, None, None, ':"Paris"}'),
        tc(1, None, None, '"CET"}')), chunk(finish="tool_calls"), {"choices": [], "usage": USAGE})
    assert response.tool_calls == EXPECTED
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.raw_finish_reason == "tool_calls"
    assert response.usage == Usage(input=10, output=5)
    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted(index=0, id="call_a", name="get_weather"),
        ToolCallStarted(index=1, id="call_b", name="get_time")]
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta) and e.index == 1] == [
        '{"tz":', '"CET"}']
    assert isinstance(events[-1], Finished) and isinstance(events[-2], UsageReported)


def test_a_call_delivered_whole_in_one_delta_with_the_finish() -> None:
    """Mistral: id, name and all the arguments in one delta, finish reason in the same chunk."""
    whole = chunk({"tool_calls": [tc(0, "call_a", "get_weather", '{"city": "Paris"}')]},
                  finish="tool_calls", usage=USAGE)
    events, response = streamed(whole)
    assert response.tool_calls == (EXPECTED[0],)
    kinds = [type(e) for e in events]
    assert kinds == [ResponseStarted, ToolCallStarted, ToolCallDelta, ToolCallEnded, UsageReported,
                     Finished]


def test_calls_without_an_index_are_told_apart_by_id() -> None:
    """Gemini's OpenAI-compatible stream has no index (openai-python #2806)."""
    _, response = streamed(*calls(
        tc(None, "call_a", "get_weather", '{"city":'), tc(None, None, None, '"Paris"}'),
        tc(None, "call_b", "get_time", '{"tz":"CET"}')), chunk(finish="tool_calls"))
    assert response.tool_calls == EXPECTED


def test_a_server_that_reuses_one_index_for_every_call() -> None:
    _, response = streamed(*calls(
        tc(0, "call_a", "get_weather", '{"city":"Paris"}'), tc(0, "call_b", "get_time", ""),
        tc(0, None, None, '{"tz":"CET"}')), chunk(finish="tool_calls"))
    assert response.tool_calls == EXPECTED


def test_a_repeated_id_in_every_fragment_is_one_call() -> None:
    _, response = streamed(*calls(
        tc(0, "call_a", "get_weather", '{"city":'), tc(0, "call_a", "get_weather", '"Paris"}')),
        chunk(finish="tool_calls"))
    assert response.tool_calls == (EXPECTED[0],)


def test_missing_and_duplicate_ids_are_made_unique_with_a_warning() -> None:
    _, response = streamed(*calls(tc(0, None, "get_weather", "{}"), tc(1, "x", "get_time", "{}"),
                                  tc(2, "x", "get_time", "{}")), chunk(finish="tool_calls"))
    assert [c.id for c in response.tool_calls] == ["call_0", "x", "x_2"]
    assert [w.code for w in response.warnings] == ["duplicate-tool-call-id"]


def test_arguments_sent_as_an_object_and_unparsable_arguments_are_kept() -> None:
    _, response = streamed(*calls(
        {"index": 0, "id": "a", "function": {"name": "f", "arguments": {"x": 1}}},
        tc(1, "b", "g", "{not json")), chunk(finish="tool_calls"))
    assert response.tool_calls == (ToolCallPart(id="a", name="f", arguments={"x": 1}),
                                   ToolCallPart(id="b", name="g", raw_arguments="{not json"))


@settings(max_examples=60, deadline=None)
@given(st.lists(mst.tool_calls(), min_size=1, max_size=3, unique_by=lambda c: c.id), st.data())
def test_assembled_calls_equal_the_whole_response(parts: list[ToolCallPart],
                                                   data: st.DataObject) -> None:
    """Any calls, their arguments cut anywhere and interleaved: the stream assembles the calls a
    whole response holds (the wire carries no signature or origin)."""
    from modelplex_openai_compat import OpenAIChatToolCodec, arguments_json

    codec = OpenAIChatToolCodec()
    whole = [codec.decode_tool_call(codec.encode_tool_call(p)) for p in parts]
    pieces: list[tuple[int, str]] = []
    for i, part in enumerate(parts):
        text = arguments_json(part)
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=4)))
        bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
        pieces += [(i, text[a:b]) for a, b in itertools.pairwise(bounds)]
    order = data.draw(st.permutations(range(len(pieces))))
    # Fragments of one call stay in order; calls interleave.
    queues = {i: [p for p in pieces if p[0] == i] for i in range(len(parts))}
    firsts = [tc(i, p.id, p.name, "") for i, p in enumerate(parts)]
    frags = []
    for k in order:
        i = pieces[k][0]
        frags.append(tc(i, None, None, queues[i].pop(0)[1]))
    _, response = streamed(*calls(*firsts, *frags), chunk(finish="tool_calls"))
    assert list(response.tool_calls) == whole


def test_text_and_reasoning_deltas() -> None:
    events, response = streamed(
        chunk({"role": "assistant", "content": "", "reasoning_content": ""}),
        chunk({"reasoning_content": "Think"}), chunk({"reasoning": "ing."}),
        chunk({"content": "Hel"}), chunk({"content": "lo"}), chunk(finish="stop"),
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 9,
                                  "completion_tokens_details": {"reasoning_tokens": 4}}})
    assert [e for e in events if isinstance(e, TextDelta | ReasoningDelta)] == [
        ReasoningDelta(text="Think"), ReasoningDelta(text="ing."), TextDelta(text="Hel"),
        TextDelta(text="lo")]
    assert (response.reasoning, response.text) == ("Thinking.", "Hello")
    assert response.usage == Usage(input=3, output=5, reasoning=4)
    assert response.parts[0].origin.provider == "acme"
    assert events[0] == ResponseStarted(id="c-1", model="m-1-2025")
    assert response.model == "m-1-2025"


def test_think_tags_in_streamed_content() -> None:
    pieces = ["<thi", "nk>\nWeigh", "ing it.</th", "ink>\n\nThe answer", " is 4."]
    _, response = streamed(*[chunk({"content": p}) for p in pieces], chunk(finish="stop"),
                           profile=Profile(think_tags=True))
    assert (response.reasoning, response.text) == ("Weighing it.", "The answer is 4.")


def test_without_usage_the_final_usage_is_an_estimate() -> None:
    _, response = streamed(chunk({"content": "x" * 40}), chunk(finish="stop"),
                           profile=Profile(stream_usage=False))
    assert response.usage.estimated
    assert response.usage.output == 10 and response.usage.input >= 1


def test_usage_is_asked_for_only_where_the_profile_says_so() -> None:
    for profile, expected in ((Profile(), {"include_usage": True}),
                              (Profile(stream_usage=False), None)):
        provider = CompatProvider(CompatConfig(name="A", default_base_url="https://x.example"),
                                  profile)
        h = Harness(provider).reply(sse_response(sse(chunk(finish="stop"))))
        h.stream()
        assert h.body().get("stream_options") == expected
        assert h.body()["stream"] is True


@pytest.mark.parametrize("body", [
    sse(chunk({"content": "Hel"}), done=False),                       # no [DONE], no finish reason
    sse(chunk({"content": "Hel"}), done=False) + b'data: {"id": "c-1", "cho',  # half an event
    sse(chunk({"content": "Hel"}), chunk(finish="stop"), done=False) + b"data: {\"choi",
])
def test_a_stream_cut_short_raises_after_the_delivered_events(body: bytes) -> None:
    h = Harness().reply(sse_response(body))
    events: list[Any] = []

    async def go(client: Any) -> None:
        async with client.stream("acme/m-1", "hi") as s:
            async for event in s:
                events.append(event)

    with pytest.raises(StreamInterruptedError, match="acme/m-1"):
        h.run(go)
    assert TextDelta(text="Hel") in events


def test_a_finish_reason_without_done_at_a_clean_end_is_complete() -> None:
    _, response = streamed(chunk({"content": "ok"}), chunk(finish="stop"), done=False)
    assert response.text == "ok" and response.finish_reason is FinishReason.STOP


def test_an_error_event_mid_stream_raises_the_mapped_error() -> None:
    """Groq's ``event: error`` after HTTP 200, carrying its own status code."""
    rec = recording("groq/06_stream_error_event_tool_use_failed")
    h = Harness().reply(sse_response(rec.body_bytes()))
    events: list[Any] = []

    async def go(client: Any) -> None:
        async with client.stream("acme/m-1", "hi") as s:
            async for event in s:
                events.append(event)

    with pytest.raises(BadRequestError) as info:
        h.run(go)
    assert info.value.code == "tool_use_failed" and info.value.status_code == 400
    assert "Tool call validation failed" in str(info.value)
    assert any(isinstance(e, ReasoningDelta) for e in events)


@pytest.mark.parametrize(("error", "kind"), [
    ({"message": "overloaded", "type": "server_error"}, ServerError),
    ({"message": "slow down", "code": 429}, RateLimitError),
    ({"message": "bad", "type": "invalid_request_error"}, BadRequestError),
])
def test_an_error_chunk_mid_stream(error: dict[str, Any], kind: type[Exception]) -> None:
    with pytest.raises(kind, match="acme/m-1"):
        streamed(chunk({"content": "a"}), {"error": error})


def test_a_chunk_that_is_not_json_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError):
        streamed(chunk({"content": "a"}), "{oops")


def test_a_server_that_answers_a_stream_request_whole() -> None:
    data = {"id": "r", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"content": "whole"}}], "usage": USAGE}
    h = Harness().reply(json_response(data))
    events, response = h.stream()
    assert response.text == "whole" and response.usage == Usage(input=10, output=5)
    assert events == response_events(response)


def test_an_http_error_before_the_stream_starts() -> None:
    h = Harness().reply(httpx.Response(429, headers={"retry-after": "3"},
                                       json={"error": {"message": "slow down"}}))
    with pytest.raises(RateLimitError) as info:
        h.stream()
    assert info.value.retry_after == 3.0


def test_the_stream_request_body() -> None:
    h = Harness().reply(sse_response(sse(chunk(finish="stop"))))
    h.stream("hello", temperature=0.5)
    body = h.body()
    assert body == {"model": "m-1", "messages": [{"role": "user", "content": "hello"}],
                    "stream": True, "stream_options": {"include_usage": True}, "temperature": 0.5}
    assert h.sent[0].headers["accept"] == "text/event-stream"
    assert json.loads(h.sent[0].content) == body


def test_streamed_reasoning_is_replayed_to_the_model_asked_for() -> None:
    """The server answers as a dated snapshot; the reasoning still goes back to "m-1", the model the
    conversation addresses, as a whole response's would (DeepSeek's thinking mode needs it)."""
    profile = Profile(send_reasoning_back=True)
    provider = CompatProvider(CompatConfig(name="Acme", default_base_url="https://x.example/v1"),
                              profile)
    h = Harness(provider).reply(
        sse_response(sse(chunk({"reasoning_content": "plan"}), chunk(
            {"tool_calls": [tc(0, "c1", "f", "{}")]}, finish="tool_calls"))),
        json_response({"choices": [{"index": 0, "message": {"content": "done"},
                                    "finish_reason": "stop"}]}))
    _, first = h.stream()
    assert first.model == "m-1-2025" and first.parts[0].origin.model == "m-1"
    from modelplex import Message

    h.chat([Message.user("hi"), first.message, Message.tool("c1", "result")])
    assert h.body()["messages"][1] == {"role": "assistant", "content": None,
                                       "reasoning_content": "plan", "tool_calls": [
                                           {"id": "c1", "type": "function",
                                            "function": {"name": "f", "arguments": "{}"}}]}
