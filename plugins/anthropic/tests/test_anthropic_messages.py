"""Canonical messages to ``system`` and ``messages``: turns merged, tool results first, images,
reasoning replayed only to its own provider and model (and the thinking-replay rule end to end)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_anthropic.messages import encode_messages
from modelplex_anthropic.tools import AnthropicToolCodec

import modelplex
from modelplex import (
    ImagePart,
    Message,
    Origin,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from modelplex_testing import strategies as mst

ME = Origin(provider="anthropic", model="claude-sonnet-4-0")
FIXTURES = Path(__file__).parent / "fixtures"


def encode(*messages: Message, model: str = "claude-sonnet-4-0") -> Any:
    return encode_messages(messages, provider="anthropic", model=model,
                           codec=AnthropicToolCodec(provider="anthropic"))


def test_system_is_kept_apart() -> None:
    out = encode(Message.system("Be brief."), Message.user("Hi"), Message.system("Use French."))
    assert out.system == [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use French."}]
    assert out.messages == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert [(w.code, w.field) for w in out.warnings] == [("moved-system-message", "messages[2]")]


def test_tool_messages_become_one_user_turn_with_results_first() -> None:
    calls = [ToolCallPart(id="toolu_a", name="f", arguments={"x": 1}),
             ToolCallPart(id="toolu_b", name="g")]
    out = encode(Message.user("Go"), Message.assistant("Calling."), Message.assistant(calls),
                 Message.user("Also: hurry"), Message.tool("toolu_a", "one"),
                 Message.tool("toolu_b", "boom", is_error=True))
    assert out.messages == [
        {"role": "user", "content": [{"type": "text", "text": "Go"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Calling."},
            {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {"x": 1}},
            {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "one", "is_error": False},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": "boom", "is_error": True},
            {"type": "text", "text": "Also: hurry"}]}]
    assert out.warnings == []


def test_foreign_call_ids_are_made_plain_the_same_for_call_and_result() -> None:
    odd = ["functions.get_weather:0", "", "call.1", "call_1", "ü" * 80]
    out = encode(Message.user("q"), Message.assistant([ToolCallPart(id=i, name="f") for i in odd]),
                 *[Message.tool(i, "r") for i in odd])
    sent = [b["id"] for b in out.messages[1]["content"]]
    assert [b["tool_use_id"] for b in out.messages[2]["content"]] == sent
    assert sent[3] == "call_1"  # a plain id is kept as it is
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in sent), sent
    assert len(set(sent)) == len(odd)  # "call.1" and "call_1" stay apart
    assert sent[0].startswith("functions_get_weather_0_")


def test_an_id_given_to_two_calls_is_sent_once_each_call_keeping_its_result() -> None:
    """"messages.3.content.0: `tool_use` ids must be unique", in the whole request: ``call_0`` from a
    server that numbers each reply's calls, in two turns. Each result answers the latest call."""
    out = encode(Message.user("q"),
                 Message.assistant(ToolCallPart(id="call_0", name="f")), Message.tool("call_0", "one"),
                 Message.assistant(ToolCallPart(id="call_0", name="g")), Message.tool("call_0", "two"))
    uses = [b["id"] for m in out.messages[1::2] for b in m["content"]]
    results = [b["tool_use_id"] for m in out.messages[2::2] for b in m["content"]]
    assert uses[0] == "call_0" and uses[1] != "call_0" and re.fullmatch(r"[A-Za-z0-9_-]+", uses[1])
    assert results == uses
    assert out.warnings == []


def test_a_conversation_that_opens_with_a_reply_gets_a_user_turn_first() -> None:
    """"messages: first message must use the user role". Gemini and OpenAI take an empty user
    message (recorded: gemini/04 began with one); Anthropic takes neither it nor an assistant first."""
    call = ToolCallPart(id="call_1", name="f")
    out = encode(Message.system("Tell three jokes."), Message.user(""), Message.assistant(call),
                 Message.tool("call_1", "topic: cats"))
    assert [m["role"] for m in out.messages] == ["user", "assistant", "user"]
    assert out.messages[0] == {"role": "user", "content": [{"type": "text", "text": "."}]}
    assert [(w.code, w.field) for w in out.warnings] == [("dropped-message", "messages[1]"),
                                                         ("inserted-message", "messages[2]")]
    out = encode(Message.user("Hi"), Message.assistant("Hello"))
    assert out.messages[0]["role"] == "user" and out.warnings == []


@pytest.mark.feature("vision", provider="anthropic")
def test_images() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    out = encode(Message.user([TextPart(text="Compare"), ImagePart(data=png, media_type="image/png"),
                               ImagePart(url="data:image/webp;base64,UklGRg=="),
                               ImagePart(url="https://example.com/cat.jpg")]))
    assert out.messages[0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": base64.b64encode(png).decode()}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklGRg=="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}]


def test_what_a_turn_cannot_hold_is_warned_about() -> None:
    out = encode(Message.user("Hi"),
                 Message.assistant([TextPart(text="A cat:"), ImagePart(url="https://e.x/c.png")]),
                 Message.user(""), Message.system([TextPart(text="S"), ImagePart(url="https://e.x/s.png")]),
                 Message.assistant(ToolCallPart(id="t1", name="f", raw_arguments="{not json")))
    assert [(w.code, w.field) for w in out.warnings] == [
        ("dropped-part", "messages[1]"), ("dropped-message", "messages[2]"),
        ("moved-system-message", "messages[3]"), ("dropped-part", "messages[3]"),
        ("dropped-field", "messages[4]")]
    assert out.messages == [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A cat:"},
                                          {"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}]


def test_reasoning_goes_back_only_to_its_own_model() -> None:
    signed = ReasoningPart(text="hmm", signature="sig-1", origin=ME)
    redacted = ReasoningPart(text="", redacted_data="EnKwCk", origin=ME)
    mine = encode(Message.user("q"), Message.assistant([signed, redacted, TextPart(text="a")]))
    assert mine.messages[1]["content"] == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "EnKwCk"}, {"type": "text", "text": "a"}]
    assert mine.warnings == []
    other = encode(Message.user("q"), Message.assistant([signed, redacted, TextPart(text="a")]),
                   model="claude-haiku-4-5")
    assert other.messages[1]["content"] == [{"type": "text", "text": "a"}]
    assert [w.code for w in other.warnings] == ["dropped-reasoning", "dropped-reasoning"]
    assert "anthropic/claude-sonnet-4-0" in other.warnings[0].message
    foreign = ReasoningPart(text="t", signature="gsig",
                            origin=Origin(provider="gemini", model="claude-sonnet-4-0"))
    unsigned = ReasoningPart(text="t", origin=ME)
    anonymous = ReasoningPart(text="t", signature="s")
    out = encode(Message.user("q"), Message.assistant([foreign, unsigned, anonymous, TextPart(text="a")]))
    assert out.messages[1]["content"] == [{"type": "text", "text": "a"}]
    assert [w.code for w in out.warnings] == ["dropped-reasoning"] * 3


@settings(max_examples=200)
@given(st.lists(mst.messages(), max_size=8))
def test_turns_alternate_and_results_come_first(messages: list[Message]) -> None:
    out = encode(*messages)
    roles = [m["role"] for m in out.messages]
    assert all(a != b for a, b in itertools.pairwise(roles)), roles
    assert set(roles) <= {"user", "assistant"}
    for message in out.messages:
        kinds = [b["type"] for b in message["content"]]
        assert kinds, "no empty turns"
        results = [k == "tool_result" for k in kinds]
        assert results == sorted(results, reverse=True), f"tool results first: {kinds}"
        if message["role"] == "assistant":
            assert not {"image", "tool_result"} & set(kinds)
    sent_results = sum(k["type"] == "tool_result" for m in out.messages for k in m["content"])
    given_results = sum(isinstance(p, ToolResultPart) for m in messages for p in m.parts)
    assert sent_results == given_results
    json.dumps(out.messages)  # everything is JSON


# -- the thinking-replay rule, through the client ---------------------------------------------------

COUNTRY = Tool(name="get_user_country",
               parameters={"additionalProperties": False, "properties": {}, "type": "object"})


def _converse(model: str) -> tuple[dict[str, Any], modelplex.ChatResponse, modelplex.ChatResponse]:
    """Turn 1 replays recording 04 (thinking + tool call); turn 2 goes to ``model``."""
    recorded = json.loads((FIXTURES / "04_thinking_then_tool_use.json").read_text())["response"]["body"]
    sent: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        if len(sent) == 1:
            return httpx.Response(200, json=recorded)
        return httpx.Response(200, json={"id": "msg_2", "type": "message", "role": "assistant",
                                         "model": model, "content": [{"type": "text", "text": "Paris"}],
                                         "stop_reason": "end_turn", "usage": {"input_tokens": 5,
                                                                              "output_tokens": 1}})

    async def go() -> tuple[modelplex.ChatResponse, modelplex.ChatResponse]:
        async with modelplex.AsyncClient(config_file=False, env={}, transport=httpx.MockTransport(handle),
                                         providers={"anthropic": {"api_key": "k-test"}}) as client:
            history = [Message.user("What is the largest city in the user country?")]
            first = await client.chat("anthropic/claude-sonnet-4-0", history, tools=[COUNTRY],
                                      reasoning_budget=3000, max_tokens=4096)
            call = first.tool_calls[0]
            history += [first.message, Message.tool(call.id, "France")]
            second = await client.chat(f"anthropic/{model}", history, tools=[COUNTRY],
                                       reasoning_budget=3000, max_tokens=4096)
            return first, second

    first, second = asyncio.run(go())
    return sent[1], first, second


@pytest.mark.feature("reasoning_replay", provider="anthropic")
def test_thinking_goes_back_first_and_unchanged_to_the_same_model() -> None:
    body, _, second = _converse("claude-sonnet-4-0")
    recorded = json.loads((FIXTURES / "04_thinking_then_tool_use.json").read_text())["response"]["body"]
    assistant = body["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == recorded["content"]  # thinking first, signature unchanged
    assert body["messages"][2] == {"role": "user", "content": [{
        "type": "tool_result", "tool_use_id": "toolu_01YGzqpRE16Vricda3Aqcejo", "content": "France",
        "is_error": False}]}
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    assert second.warnings == ()


def test_thinking_is_not_sent_to_another_model() -> None:
    body, _, second = _converse("claude-haiku-4-5")
    assistant = body["messages"][1]
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use"]
    assert "thinking" not in body  # the API would refuse a tool loop whose turn lacks its thinking
    assert [w.code for w in second.warnings] == ["dropped-reasoning", "unsupported-setting"]
    assert second.warnings[1].field == "reasoning_budget"
    assert "anthropic/claude-sonnet-4-0" in second.warnings[0].message
