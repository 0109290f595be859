"""Groq's quirks: usage in ``x_groq``, reasoning that never goes back, and the plugin module itself."""

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

KEY = "gsk_groq-test-key-0123456789abcdef"
OSS = "openai/gpt-oss-120b"
REPLY = {"id": "r-1", "model": OSS, "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 1}}


def sse(*chunks: dict[str, Any]) -> bytes:
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"


def delta(finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": OSS,
            "choices": [{"index": 0, "delta": fields, "finish_reason": finish}]}


def client(handle: Any, env: dict[str, str] | None = None) -> modelplex.AsyncClient:
    """A client on the installed plugin (autoloaded from its entry point) and a mock transport."""
    settings: dict[str, Any] = {"transport": httpx.MockTransport(handle)}
    if env is None:
        settings["api_key"] = KEY
    return modelplex.AsyncClient(config_file=False, env=env or {}, providers={"groq": settings})


def chat(messages: Sequence[Message] | str, *, env: dict[str, str] | None = None,
         **options: Any) -> tuple[httpx.Request, ChatResponse]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=REPLY)

    async def go() -> ChatResponse:
        async with client(handle, env) as c:
            return await c.chat(f"groq/{OSS}", messages, **options)

    response = asyncio.run(go())
    return sent[0], response


def test_usage_only_in_x_groq_on_the_final_chunk() -> None:
    """Groq has long put the final usage in ``x_groq.usage`` (now also top-level; the recordings have
    both): it alone must give the buckets, not an estimate."""
    body = sse({**delta(role="assistant", content=""), "x_groq": {"id": "req_1"}},
               delta(reasoning="Two plus two", channel="analysis"),
               delta(reasoning=" is four.", channel="analysis"),
               delta(content="4"),
               {**delta("stop"), "x_groq": {"id": "req_1", "usage": {
                   "queue_time": 0.01, "prompt_tokens": 84, "prompt_time": 0.006,
                   "completion_tokens": 105, "completion_time": 0.2, "total_tokens": 189,
                   "completion_tokens_details": {"reasoning_tokens": 95}}}})

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async def go() -> Any:
        async with client(handle) as c, c.stream(f"groq/{OSS}", "What is 2+2?") as stream:
            events = [e async for e in stream]
        return events, stream.response

    events, response = asyncio.run(go())
    assert response.usage == Usage(input=84, output=10, reasoning=95)
    assert not response.usage.estimated
    assert [e for e in events if isinstance(e, modelplex.UsageReported)] == [
        modelplex.UsageReported(usage=Usage(input=84, output=10, reasoning=95))]
    assert response.reasoning == "Two plus two is four." and response.text == "4"


@pytest.mark.feature("reasoning_replay", provider="groq",
                      unsupported="Groq refuses reasoning on assistant messages: none is sent back")
def test_reasoning_is_never_sent_back() -> None:
    """Groq rejects ``reasoning`` (and ``reasoning_content``) on assistant messages with a 400, so
    neither its own reasoning nor anyone else's goes back; another model's is warned about."""
    call = ToolCallPart(id="fc_1", name="lookup", arguments={"q": "x"})
    sent, response = chat([
        Message.user("Look it up."),
        Message.assistant([ReasoningPart(text="My own thoughts.", origin=Origin(provider="groq",
                                                                                 model=OSS)),
                           TextPart(text="Looking."), call]),
        Message.tool(call.id, "found"),
        Message.assistant([ReasoningPart(text="Another model's thoughts.",
                                         origin=Origin(provider="deepseek", model="deepseek-reasoner")),
                           TextPart(text="Done.")]),
        Message.user("Thanks.")])
    messages = json.loads(sent.content)["messages"]
    assert messages[1] == {"role": "assistant", "content": "Looking.", "tool_calls": [
        {"id": "fc_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"x"}'}}]}
    assert messages[3] == {"role": "assistant", "content": "Done."}
    assert "thoughts" not in sent.content.decode()
    assert [w.message for w in response.warnings if w.code == "dropped-reasoning"] == [
        f"reasoning from deepseek/deepseek-reasoner is not sent to groq/{OSS}"]


@pytest.mark.feature("json_schema", provider="groq")
def test_json_schema_output_and_max_completion_tokens() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    sent, response = chat("2+2 as JSON", max_tokens=64, response_format=modelplex.ResponseFormat(
        type="json_schema", schema=schema, name="answer", strict=True))
    body = json.loads(sent.content)
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "answer", "schema": schema, "strict": True}}
    assert body["max_completion_tokens"] == 64 and "max_tokens" not in body
    assert response.warnings == ()


# -- the module -----------------------------------------------------------------------------------
def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_groq.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_groq import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.api_key_env == ("GROQ_API_KEY",) and info.base_url_env == ("GROQ_BASE_URL",)
    assert info.default_base_url == "https://api.groq.com/openai/v1" and info.requires_api_key


def test_key_and_base_url_from_the_environment() -> None:
    sent, _ = chat("hi", env={"GROQ_API_KEY": "gsk_env-key-0123456789",
                              "GROQ_BASE_URL": "http://proxy:8/openai/v1/"})
    assert str(sent.url) == "http://proxy:8/openai/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer gsk_env-key-0123456789"


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="GROQ_API_KEY"):
        chat("hi", env={})
