"""Replies as events and responses: thoughts, signatures, calls and their ids, blocked prompts,
unknown parts; the same reply reads the same streamed or not, and as the core assembles it."""

from __future__ import annotations

from typing import Any

import pytest
from gemini_helpers import answering, chat, recording, reply, request, sse, stream
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_gemini.parse import ReplyParser, parse_events, parse_reply
from modelplex_gemini.tools import call_id

from modelplex import (
    ChatResponse,
    FinishReason,
    Message,
    Origin,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
    WarningRaised,
)
from modelplex._stream import Accumulator
from modelplex.errors import ResponseParseError

ORIGIN = Origin(provider="gemini", model="gemini-2.5-flash")
USAGE = {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 7,
         "cachedContentTokenCount": 4, "totalTokenCount": 22}


def parse(data: dict[str, Any], **options: Any) -> ChatResponse:
    return parse_reply(data, "gemini", request("q", **options))


def test_thoughts_text_and_signatures() -> None:
    out = parse(reply({"text": "Let me think.", "thought": True},
                      {"text": " More.", "thought": True},
                      {"text": "The answer", "thoughtSignature": "SIG"}, {"text": " is 4."},
                      usage=USAGE))
    assert out.parts == (ReasoningPart(text="Let me think. More.", signature="SIG", origin=ORIGIN),
                         TextPart(text="The answer is 4."))
    assert out.reasoning == "Let me think. More." and out.text == "The answer is 4."
    assert out.usage == Usage(input=6, cache_read=4, output=5, reasoning=7)
    assert (out.id, out.model, out.finish_reason, out.raw_finish_reason) == (
        "resp-1", "gemini-2.5-flash", FinishReason.STOP, "STOP")


def test_a_signature_on_text_with_no_thought_before_gets_an_empty_reasoning_part() -> None:
    out = parse(reply({"text": "Hello", "thoughtSignature": "S1"}, {"text": " world"},
                      {"text": "", "thoughtSignature": "S2"}))
    assert out.parts == (ReasoningPart(text="", signature="S1", origin=ORIGIN),
                         TextPart(text="Hello world"),
                         ReasoningPart(text="", signature="S2", origin=ORIGIN))
    assert out.text == "Hello world" and out.reasoning == ""


def test_a_signed_thought_ends_its_reasoning_part() -> None:
    out = parse(reply({"text": "first", "thought": True, "thoughtSignature": "S1"},
                      {"text": "second", "thought": True}, {"text": "", "thought": True,
                                                            "thoughtSignature": "S2"}))
    assert out.parts == (ReasoningPart(text="first", signature="S1", origin=ORIGIN),
                         ReasoningPart(text="second", signature="S2", origin=ORIGIN))


def test_calls_keep_geminis_usable_ids_and_get_stable_ones_otherwise() -> None:
    out = parse(reply({"functionCall": {"id": "fc-1", "name": "a", "args": {"x": 1}},
                       "thoughtSignature": "SIG"},
                      {"functionCall": {"id": "fc-1", "name": "b"}},
                      {"functionCall": {"id": "not usable!", "name": "c", "args": {}}},
                      response_id="R"))
    assert out.tool_calls == (
        ToolCallPart(id="fc-1", name="a", arguments={"x": 1}, signature="SIG", origin=ORIGIN),
        ToolCallPart(id=call_id("R", 1, "b"), name="b"),
        ToolCallPart(id=call_id("R", 2, "c"), name="c"))
    assert out.finish_reason is FinishReason.TOOL_CALLS


def test_a_prompt_blocked_outright_is_a_content_filter_finish_not_a_crash() -> None:
    out = parse({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                 "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                 "modelVersion": "gemini-2.5-flash", "responseId": "b"})
    assert out.parts == () and out.finish_reason is FinishReason.CONTENT_FILTER
    assert out.raw_finish_reason == "PROHIBITED_CONTENT" and out.usage == Usage(input=12)
    assert [(w.code, w.field) for w in out.warnings] == [("content-filtered", "prompt")]
    assert "PROHIBITED_CONTENT" in out.warnings[0].message


@pytest.mark.parametrize(("raw", "reason", "code"), [
    ("SAFETY", FinishReason.CONTENT_FILTER, "content-filtered"),
    ("RECITATION", FinishReason.CONTENT_FILTER, "content-filtered"),
    ("MALFORMED_FUNCTION_CALL", FinishReason.ERROR, "tool-call-failed"),
    ("MAX_TOKENS", FinishReason.LENGTH, None),
    ("OTHER", FinishReason.OTHER, None),
])
def test_finish_reasons_in_replies(raw: str, reason: FinishReason, code: str | None) -> None:
    out = parse(reply({"text": "partial"}, finish=raw, finishMessage="because"))
    assert (out.finish_reason, out.raw_finish_reason) == (reason, raw)
    assert [w.code for w in out.warnings] == ([code] if code else [])
    assert all("because" in w.message for w in out.warnings)


def test_a_filtered_candidate_without_content() -> None:
    out = parse({"candidates": [{"finishReason": "SAFETY", "index": 0,
                                 "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT",
                                                    "probability": "HIGH", "blocked": True}]}]})
    assert out.parts == () and out.finish_reason is FinishReason.CONTENT_FILTER


def test_parts_modelplex_does_not_carry_are_warned_once() -> None:
    out = parse(reply({"executableCode": {"language": "PYTHON", "code": "1+1"}},
                      {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "2"}},
                      {"executableCode": {"language": "PYTHON", "code": "2+2"}}, {"text": "4"}))
    assert out.text == "4"
    assert [(w.code, "executableCode" in w.message or "codeExecutionResult" in w.message)
            for w in out.warnings] == [("dropped-part", True), ("dropped-part", True)]


def test_no_usage_is_estimated_and_raw_is_kept_on_request() -> None:
    data = reply({"text": "x" * 40})
    out = parse(data, include_raw=True)
    assert out.usage.estimated and out.usage.output == 10 and out.raw == data
    assert parse(data).raw is None


def test_not_a_reply() -> None:
    with pytest.raises(ResponseParseError, match=r"\$: expected object, got list"):
        ReplyParser("gemini", request("q")).chunk([1, 2])


# -- the same reply, every way it can be read ------------------------------------------------------

REPLIES = {
    "thinking": reply({"text": "Hmm.", "thought": True}, {"text": "Yes", "thoughtSignature": "S"},
                      {"functionCall": {"name": "f", "args": {"a": "ü"}}, "thoughtSignature": "C"},
                      {"functionCall": {"name": "g", "args": {}}}, usage=USAGE),
    "signed thoughts": reply({"text": "a", "thought": True, "thoughtSignature": "S1"},
                             {"text": "b", "thought": True}, {"text": "c", "thoughtSignature": "S2"},
                             {"text": "d", "thought": True}),
    **{name: recording(name).response["body"] for name in (
        "01_generate_text", "02_parallel_function_calls", "03_function_response_followup",
        "04_gemini3_function_calls_thought_signature")},
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_a_reply_reads_the_same_streamed_or_not(name: str) -> None:
    data = REPLIES[name]
    whole = chat(answering(data))
    streamed, events = stream(answering(sse(data), stream=True))
    assert streamed == whole
    assert [e for e in events if isinstance(e, WarningRaised)] == []


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_parts_are_the_ones_the_core_assembles_from_the_events(name: str) -> None:
    req = request(Message.user("q"))
    parser = ReplyParser("gemini", req)
    events = parser.chunk(REPLIES[name]) + parser.finish()
    core = Accumulator("gemini", req.model)
    for event in events:
        core.add(event)
    assembled = core.response()
    ours = parse_reply(REPLIES[name], "gemini", req)
    assert ours.parts == assembled.parts
    assert (ours.usage, ours.finish_reason, ours.id, ours.model) == (
        assembled.usage, assembled.finish_reason, assembled.id, assembled.model)


def test_a_reply_split_over_many_chunks_reads_as_the_whole() -> None:
    data = REPLIES["thinking"]
    parts = data["candidates"][0]["content"]["parts"]
    chunks = [reply(p, finish=None, usage={"promptTokenCount": 10}) for p in parts[:-1]]
    chunks.append(reply(parts[-1], usage=USAGE))
    streamed, _ = stream(answering(sse(*chunks), stream=True))
    assert streamed == chat(answering(data))


_TEXT_PARTS = st.lists(st.fixed_dictionaries({"text": st.text(max_size=8)}), max_size=4)
_METADATA = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "promptTokenCount": st.integers(-1, 50), "candidatesTokenCount": st.integers(0, 50),
    "cachedContentTokenCount": st.integers(0, 60), "thoughtsTokenCount": st.integers(0, 9)}))


@given(parts=_TEXT_PARTS, finish=st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "OTHER", "NEW"]),
       finish_message=st.one_of(st.none(), st.text(max_size=5)), usage=_METADATA,
       version=st.one_of(st.none(), st.just(""), st.just("gemini-2.5-flash-001")),
       response_id=st.one_of(st.none(), st.just(""), st.just("r-1")), include_raw=st.booleans())
@settings(max_examples=200)
def test_the_plain_reply_reads_as_its_events_do(parts: list[dict[str, Any]], finish: str,
                                                finish_message: str | None, usage: Any, version: Any,
                                                response_id: Any, include_raw: bool) -> None:
    # parse_reply takes a short way for replies of text alone; parse_events reads every reply through
    # the stream's events. Both must give the same response, warnings and usage included.
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "finishReason": finish}
    if finish_message is not None:
        candidate["finishMessage"] = finish_message
    data: dict[str, Any] = {"candidates": [candidate]}
    for key, value in (("usageMetadata", usage), ("modelVersion", version), ("responseId", response_id)):
        if value is not None:
            data[key] = value
    req = request("q", include_raw=include_raw)
    fast, slow = parse_reply(data, "gemini", req), parse_events(data, "gemini", req)
    assert fast == slow
    assert (fast.raw, fast.id, fast.model) == (slow.raw, slow.id, slow.model)
