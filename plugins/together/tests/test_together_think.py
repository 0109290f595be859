"""Together's quirk: reasoning inline in the content between ``<think>`` and ``</think>``, split out
into reasoning, in whole replies and in streams whatever the chunk boundaries; and the module."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import modelplex
from modelplex import (
    ChatResponse,
    Message,
    Origin,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
)
from modelplex.errors import MissingCredentialsError

KEY = "together-test-key-0123456789abcdef"
R1 = "deepseek-ai/DeepSeek-R1"
CONTENT = "<think>\nThe user greets me.\nGreet back.\n</think>\n\nHello! How can I help?"
REASONING, TEXT = "The user greets me.\nGreet back.\n", "Hello! How can I help?"


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if content is None else {"role": "assistant", "content": content}
    return {"id": "oV1-e2e", "object": "chat.completion.chunk", "model": R1,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def sse(pieces: list[str], usage: dict[str, Any] | None = None) -> bytes:
    chunks = [chunk(p) for p in pieces]
    chunks.append(chunk(finish="stop", usage=usage or {"prompt_tokens": 4, "completion_tokens": 20,
                                                       "total_tokens": 24}))
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"


def client(handle: Any, env: dict[str, str] | None = None) -> modelplex.AsyncClient:
    """A client on the installed plugin (autoloaded from its entry point) and a mock transport."""
    settings: dict[str, Any] = {"transport": httpx.MockTransport(handle)}
    if env is None:
        settings["api_key"] = KEY
    return modelplex.AsyncClient(config_file=False, env=env or {}, providers={"together": settings})


def stream(pieces: list[str]) -> tuple[list[StreamEvent], ChatResponse, httpx.Request]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=sse(pieces))

    async def go() -> tuple[list[StreamEvent], ChatResponse]:
        async with client(handle) as c, c.stream(f"together/{R1}", "hello") as s:
            events = [e async for e in s]
        assert s.response is not None
        return events, s.response

    events, response = asyncio.run(go())
    return events, response, sent[0]


def whole(content: str, *, env: dict[str, str] | None = None,
          messages: Any = "hello") -> tuple[ChatResponse, httpx.Request]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": "oV1", "model": R1, "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                                                              "content": content}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 20, "total_tokens": 24}})

    async def go() -> ChatResponse:
        async with client(handle, env) as c:
            return await c.chat(f"together/{R1}", messages)

    return asyncio.run(go()), sent[0]


def test_a_whole_reply_is_split_at_the_tags() -> None:
    response, _ = whole(CONTENT)
    assert response.reasoning == REASONING and response.text == TEXT
    assert [type(p) for p in response.parts] == [ReasoningPart, TextPart]
    assert response.parts[0] == ReasoningPart(text=REASONING, origin=Origin(provider="together",
                                                                             model=R1))


def test_tags_split_across_chunk_boundaries_in_a_stream() -> None:
    events, response, sent = stream(["<thi", "nk>\nThe user greets me.\nGreet", " back.\n</th",
                                      "ink>", "\n\nHello! How", " can I help?"])
    assert response.reasoning == REASONING and response.text == TEXT
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == REASONING
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == TEXT
    assert not any("<" in e.text for e in events if isinstance(e, TextDelta | ReasoningDelta))
    # reasoning is streamed as it comes, before the answer, not held to the end
    kinds = [type(e) for e in events if isinstance(e, TextDelta | ReasoningDelta)]
    assert kinds.index(TextDelta) > kinds.index(ReasoningDelta)
    assert kinds[:2] == [ReasoningDelta, ReasoningDelta]
    assert response.usage == Usage(input=4, output=20)
    body = json.loads(sent.content)
    assert body["stream"] is True and "stream_options" not in body


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(min_value=1, max_value=len(CONTENT) - 1), max_size=12))
def test_any_chunking_of_the_content_gives_the_whole_reply(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [CONTENT[a:b] for a, b in zip([0, *points], [*points, len(CONTENT)], strict=True)]
    _, response, _ = stream(pieces)
    assert (response.reasoning, response.text) == (REASONING, TEXT)


def test_a_reasoning_field_is_reasoning_too() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "x", "model": "openai/gpt-oss-120b", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "4", "reasoning": "2 + 2 = 4."}}]})

    async def go() -> ChatResponse:
        async with client(handle) as c:
            return await c.chat("together/openai/gpt-oss-120b", "2+2?")

    response = asyncio.run(go())
    assert (response.reasoning, response.text) == ("2 + 2 = 4.", "4")


def test_text_that_only_looks_like_a_tag_stays_text() -> None:
    _, response, _ = stream(["a <", "b and x </", "thinking> y <thin"])
    assert response.reasoning == "" and response.text == "a <b and x </thinking> y <thin"


@pytest.mark.feature("reasoning_replay", provider="together",
                      unsupported="Together takes no reasoning field: none is sent back")
def test_reasoning_is_not_sent_back() -> None:
    """Together takes no reasoning field; its own <think> reasoning is not put back into content."""
    _, sent = whole("ok", messages=[
        Message.user("hello"),
        Message.assistant([ReasoningPart(text=REASONING, origin=Origin(provider="together", model=R1)),
                           TextPart(text=TEXT)]),
        Message.user("And you?")])
    messages = json.loads(sent.content)["messages"]
    assert messages[1] == {"role": "assistant", "content": TEXT}
    assert "greets" not in sent.content.decode()


# -- the module -----------------------------------------------------------------------------------
def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_together.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_together import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.api_key_env == ("TOGETHER_API_KEY",) and info.base_url_env == ("TOGETHER_BASE_URL",)
    assert info.default_base_url == "https://api.together.xyz/v1" and info.requires_api_key


def test_key_and_base_url_from_the_environment() -> None:
    _, sent = whole("ok", env={"TOGETHER_API_KEY": "env-key-0123456789abcdef",
                               "TOGETHER_BASE_URL": "https://router.huggingface.co/together/v1/"})
    assert str(sent.url) == "https://router.huggingface.co/together/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer env-key-0123456789abcdef"


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="TOGETHER_API_KEY"):
        whole("ok", env={})
