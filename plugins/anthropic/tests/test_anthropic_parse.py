"""A whole Messages API reply to a ChatResponse: parts in order, usage buckets, finish reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from modelplex_anthropic.body import Plan, build_plan
from modelplex_anthropic.parse import parse_message, usage_of

from modelplex import (
    ChatOptions,
    ChatRequest,
    FinishReason,
    Message,
    Origin,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
    Usage,
)
from modelplex.errors import ResponseParseError

FIXTURES = Path(__file__).parent / "fixtures"


def a_plan(model: str = "claude-sonnet-4-5", **options: Any) -> Plan:
    return build_plan("anthropic", ChatRequest(model=model, messages=[Message.user("hi")],
                                               options=ChatOptions(**options)), stream=False)


def reply(content: list[dict[str, Any]], stop: str | None = "end_turn", **extra: Any) -> dict[str, Any]:
    return {"id": "msg_9", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
            "content": content, "stop_reason": stop, "usage": {"input_tokens": 3, "output_tokens": 4},
            **extra}


def test_usage_buckets_are_anthropics_own() -> None:
    """input_tokens already excludes cache reads and writes; thinking not reported apart stays in
    output (test_anthropic_usage.py has the split)."""
    raw = {"input_tokens": 12, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 450,
           "output_tokens": 99, "cache_creation": {"ephemeral_5m_input_tokens": 450}}
    usage = usage_of(raw)
    assert usage == Usage(input=12, cache_read=3000, cache_write=450, output=99, reasoning=0)
    assert usage is not None and usage.total_input == 3462 and usage.total == 3561
    assert usage_of({"input_tokens": None, "output_tokens": True}) == Usage()
    assert usage_of(None) is None


def test_parts_in_order_with_signatures_and_origin() -> None:
    data = reply([{"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
                  {"type": "redacted_thinking", "data": "RkFLRQ=="},
                  {"type": "redacted_thinking", "data": "U0VDT05E"},
                  {"type": "text", "text": "The answer, "},
                  {"type": "text", "text": "cited.", "citations": [{"type": "char_location"}]},
                  {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"ü": [1]}}], "tool_use")
    response = parse_message(a_plan(), data)
    origin = Origin(provider="anthropic", model="claude-sonnet-4-5")
    assert response.parts == (
        ReasoningPart(text="Hmm.", signature="c2ln", origin=origin),
        ReasoningPart(text="", redacted_data="RkFLRQ==", origin=origin),
        ReasoningPart(text="", redacted_data="U0VDT05E", origin=origin),
        TextPart(text="The answer, cited."),
        ToolCallPart(id="toolu_1", name="f", arguments={"ü": [1]}))
    assert (response.finish_reason, response.raw_finish_reason) == (FinishReason.TOOL_CALLS, "tool_use")
    assert (response.id, response.model, response.provider) == ("msg_9", "claude-sonnet-4-5-20250929",
                                                                "anthropic")
    assert response.usage == Usage(input=3, output=4) and response.raw is None


def test_recorded_reply() -> None:
    body = json.loads((FIXTURES / "02_parallel_tool_use.json").read_text())["response"]["body"]
    response = parse_message(a_plan("claude-haiku-4-5", include_raw=True), body)
    assert [c.arguments["name"] for c in response.tool_calls] == ["Alice", "Bob", "Charlie", "Daisy"]
    assert response.raw == body and response.usage == Usage(input=423, output=202)


def test_unknown_blocks_are_warned_about_and_plan_warnings_kept() -> None:
    data = reply([{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}},
                  {"type": "text", "text": "ok"}])
    response = parse_message(a_plan(seed=1), data)
    assert response.parts == (TextPart(text="ok"),)
    assert [(w.code, w.field) for w in response.warnings] == [("unsupported-setting", "seed"),
                                                              ("ignored-content", "content")]


def test_the_response_format_tool_becomes_the_text() -> None:
    plan = a_plan(response_format=ResponseFormat(type="json_schema", name="city", schema={
        "type": "object", "properties": {"city": {"type": "string"}}}))
    data = reply([{"type": "tool_use", "id": "t", "name": "city", "input": {"city": "Zürich"}}], "tool_use")
    response = parse_message(plan, data)
    assert response.parts == (TextPart(text='{"city": "Zürich"}'),) and response.tool_calls == ()
    assert json.loads(response.text) == {"city": "Zürich"}  # the answer itself: no wrapper object
    assert (response.finish_reason, response.raw_finish_reason) == (FinishReason.STOP, "tool_use")


def test_missing_pieces() -> None:
    with pytest.raises(ResponseParseError, match=r"content: missing \(expected array\)"):
        parse_message(a_plan(), {"type": "message"})
    response = parse_message(a_plan(), {"content": [], "stop_reason": None})
    assert response.usage == Usage(estimated=True) and response.finish_reason is FinishReason.OTHER
    assert response.model == "claude-sonnet-4-5" and response.id is None
