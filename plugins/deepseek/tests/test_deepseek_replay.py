"""DeepSeek's quirks: which reasoning is sent back, cache-hit usage, and the plugin module itself.

The replay rules are DeepSeek's thinking-mode guide (api-docs.deepseek.com/guides/thinking_mode):

* between two user messages without a tool call, earlier ``reasoning_content`` is not part of the
  context (the first reasoning model answered 400 when it was sent; the current ones ignore it);
* between two user messages with a tool call, the ``reasoning_content`` of those assistant messages
  must be passed back, in that turn and in every later request, else the API answers 400.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

import modelplex
from modelplex import ChatResponse, Message, Origin, ReasoningPart, TextPart, ToolCallPart, Usage
from modelplex.errors import MissingCredentialsError

KEY = "sk-deepseek-test-key-0123456789"
REASONER = Origin(provider="deepseek", model="deepseek-reasoner")
WEATHER = ToolCallPart(id="call_00_w", name="weather", arguments={"city": "Oslo"})
REPLY = {"id": "r-1", "model": "deepseek-v4-flash", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "prompt_cache_hit_tokens": 0,
              "prompt_cache_miss_tokens": 10}}


def thought(text: str, origin: Origin = REASONER) -> ReasoningPart:
    return ReasoningPart(text=text, origin=origin)


def chat(messages: Sequence[Message], *, reply: dict[str, Any] = REPLY,
         model: str = "deepseek-reasoner", env: dict[str, str] | None = None,
         **options: Any) -> tuple[httpx.Request, ChatResponse]:
    """Send ``messages`` through the installed plugin (autoloaded from its entry point) to a mock
    transport answering ``reply``; the request it made, and the response."""
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=reply)

    async def go() -> ChatResponse:
        settings: dict[str, Any] = {"transport": httpx.MockTransport(handle)}
        if env is None:
            settings["api_key"] = KEY
        async with modelplex.AsyncClient(config_file=False, env=env or {},
                                         providers={"deepseek": settings}) as client:
            return await client.chat(f"deepseek/{model}", list(messages), **options)

    response = asyncio.run(go())
    return sent[0], response


def sent_messages(messages: Sequence[Message], **options: Any) -> tuple[list[dict[str, Any]],
                                                                        ChatResponse]:
    sent, response = chat(messages, **options)
    return json.loads(sent.content)["messages"], response


def dropped(response: ChatResponse) -> list[str]:
    return [w.message for w in response.warnings if w.code == "dropped-reasoning"]


# -- replay ---------------------------------------------------------------------------------------
def test_plain_multi_turn_chat_sends_no_reasoning_back() -> None:
    messages, response = sent_messages([
        Message.user("9.11 and 9.8, which is greater?"),
        Message.assistant([thought("Compare the decimals..."), TextPart(text="9.8 is greater.")]),
        Message.user("How many Rs are there in 'strawberry'?")])
    assert messages == [
        {"role": "user", "content": "9.11 and 9.8, which is greater?"},
        {"role": "assistant", "content": "9.8 is greater."},
        {"role": "user", "content": "How many Rs are there in 'strawberry'?"}]
    assert dropped(response) == []  # DeepSeek's own reasoning, left out as it asks: nothing lost


@pytest.mark.feature("reasoning_replay", provider="deepseek")
def test_a_tool_calling_turn_sends_its_reasoning_back() -> None:
    messages, response = sent_messages([
        Message.user("Weather in Oslo?"),
        Message.assistant([thought("I should call the weather tool."), WEATHER]),
        Message.tool(WEATHER.id, "12 C, rain")])
    assert messages[1] == {"role": "assistant", "content": None,
                           "reasoning_content": "I should call the weather tool.",
                           "tool_calls": [{"id": "call_00_w", "type": "function", "function": {
                               "name": "weather", "arguments": '{"city":"Oslo"}'}}]}
    assert messages[2] == {"role": "tool", "tool_call_id": "call_00_w", "content": "12 C, rain"}
    assert dropped(response) == []


def test_a_finished_tool_turn_keeps_its_reasoning_in_later_requests() -> None:
    """Every assistant message of a turn that called tools keeps its reasoning after the next user
    message ("in all subsequent requests"); a turn without tool calls sends none."""
    messages, _ = sent_messages([
        Message.user("Hi"),
        Message.assistant([thought("A greeting."), TextPart(text="Hello!")]),
        Message.user("Weather in Oslo?"),
        Message.assistant([thought("Call the tool."), TextPart(text="Checking."), WEATHER]),
        Message.tool(WEATHER.id, "12 C, rain"),
        Message.assistant([thought("Now answer."), TextPart(text="12 C and rain.")]),
        Message.user("Thanks! And tomorrow?")])
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert [m.get("reasoning_content") for m in assistants] == [None, "Call the tool.", "Now answer."]
    assert "reasoning_content" not in assistants[0]
    assert [m["content"] for m in assistants] == ["Hello!", "Checking.", "12 C and rain."]


@pytest.mark.parametrize("origin", [Origin(provider="groq", model="openai/gpt-oss-120b"),
                                    Origin(provider="deepseek", model="deepseek-chat")],
                         ids=["another-provider", "another-deepseek-model"])
def test_reasoning_from_another_provider_or_model_is_never_sent(origin: Origin) -> None:
    messages, response = sent_messages([
        Message.user("Weather in Oslo?"),
        Message.assistant([thought("Someone else's thoughts.", origin), WEATHER]),
        Message.tool(WEATHER.id, "12 C, rain")])
    # The field stays, empty: thinking mode refuses a tool-calling assistant message without it.
    assert messages[1]["reasoning_content"] == ""
    assert "Someone else's thoughts." not in json.dumps(messages)
    assert dropped(response) == [f"reasoning from {origin.provider}/{origin.model} is not sent to "
                                 "deepseek/deepseek-reasoner"]


def test_every_tool_calling_message_carries_the_field_even_without_reasoning_of_its_own() -> None:
    """A conversation begun elsewhere (another provider's calls, no reasoning) continued in thinking
    mode: DeepSeek answers 400 "Missing `reasoning_content` field in the assistant message at message
    index 1" unless each assistant message of a tool-calling turn has the field; empty is enough."""
    other = ToolCallPart(id="toolu_01", name="weather", arguments={"city": "Bergen"})
    messages, response = sent_messages([
        Message.user("Weather in Oslo and Bergen?"),
        Message.assistant([TextPart(text="Checking."), WEATHER, other]),
        Message.tool(WEATHER.id, "12 C, rain"), Message.tool(other.id, "9 C, fog"),
        Message.assistant([thought("Both known now."), TextPart(text="Rain and fog.")]),
        Message.user("Thanks!"),
        Message.assistant([TextPart(text="You're welcome.")]),
        Message.user("Bye.")])
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert [m.get("reasoning_content") for m in assistants] == ["", "Both known now.", None]
    assert dropped(response) == []


def test_a_parsed_tool_call_reply_goes_back_with_its_reasoning() -> None:
    """The real loop: the reply's own message, appended as is, carries its reasoning back."""
    first = {"id": "r-0", "model": "deepseek-v4-flash", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "", "reasoning_content": "Need the weather first.",
            "tool_calls": [{"id": "call_00_x", "type": "function", "index": 0, "function": {
                "name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}]}}]}
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[first, REPLY][len(sent) - 1])

    async def go() -> None:
        async with modelplex.AsyncClient(config_file=False, env={}, providers={"deepseek": {
                "api_key": KEY, "transport": httpx.MockTransport(handle)}}) as client:
            history = [Message.user("Weather in Oslo?")]
            reply = await client.chat("deepseek/deepseek-reasoner", history)
            call = reply.tool_calls[0]
            history += [reply.message, Message.tool(call.id, "12 C")]
            await client.chat("deepseek/deepseek-reasoner", history)

    asyncio.run(go())
    second = json.loads(sent[1].content)["messages"]
    assert second[1]["reasoning_content"] == "Need the weather first."
    assert second[1]["tool_calls"][0]["id"] == "call_00_x"
    assert second[2] == {"role": "tool", "tool_call_id": "call_00_x", "content": "12 C"}


# -- usage and options ----------------------------------------------------------------------------
def test_cache_hits_and_misses_fill_the_cache_read_and_input_buckets() -> None:
    reply = {**REPLY, "usage": {"prompt_tokens": 100, "completion_tokens": 30,
                                "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 36,
                                "completion_tokens_details": {"reasoning_tokens": 20}}}
    _, response = chat([Message.user("hi")], reply=reply)
    assert response.usage == Usage(input=36, cache_read=64, output=10, reasoning=20)
    assert response.usage.total_input == 100


@pytest.mark.feature("json_schema", provider="deepseek",
                      unsupported="DeepSeek has JSON mode only: a schema falls back to it, with a warning")
def test_json_schema_falls_back_to_json_mode_and_seed_is_left_out_with_warnings() -> None:
    fmt = modelplex.ResponseFormat(type="json_schema", schema={"type": "object"}, name="x")
    sent, response = chat([Message.user("hi")], model="deepseek-chat", response_format=fmt,
                          seed=7, parallel_tool_calls=False, tools=[modelplex.Tool(name="t")])
    body = json.loads(sent.content)
    assert body["response_format"] == {"type": "json_object"}
    assert "seed" not in body and "parallel_tool_calls" not in body
    fields = sorted(w.field or "" for w in response.warnings)
    assert fields == ["parallel_tool_calls", "response_format", "seed"]


# -- the module -----------------------------------------------------------------------------------
def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_deepseek.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_deepseek import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.api_key_env == ("DEEPSEEK_API_KEY",) and info.base_url_env == ("DEEPSEEK_BASE_URL",)
    assert info.default_base_url == "https://api.deepseek.com" and info.requires_api_key


def test_key_and_base_url_from_the_environment() -> None:
    sent, _ = chat([Message.user("hi")], env={"DEEPSEEK_API_KEY": "sk-env-key-0123456789",
                                              "DEEPSEEK_BASE_URL": "https://api.deepseek.com/beta/"})
    assert str(sent.url) == "https://api.deepseek.com/beta/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-env-key-0123456789"


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="DEEPSEEK_API_KEY"):
        chat([Message.user("hi")], env={})
