"""The plugin module and provider: a light import, ANTHROPIC_* configuration, the headers, no
embeddings, and the model list's pagination."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest

import modelplex
from modelplex.errors import MissingCredentialsError, ModelplexError, UnsupportedFeatureError

REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
         "usage": {"input_tokens": 1, "output_tokens": 1}}


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_anthropic.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_anthropic import plugin

    info = plugin.modelplex_provider_info()
    assert info.api_key_env == ("ANTHROPIC_API_KEY",) and info.base_url_env == ("ANTHROPIC_BASE_URL",)
    assert info.default_base_url == "https://api.anthropic.com" and info.requires_api_key
    assert not hasattr(plugin, "modelplex_embed")


def _run(env: dict[str, str], call: str = "chat", replies: list[dict[str, Any]] | None = None,
         **settings: Any) -> tuple[list[httpx.Request], Any]:
    sent: list[httpx.Request] = []
    queue = list(replies or [REPLY])

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=queue.pop(0) if len(queue) > 1 else queue[0])

    async def go() -> Any:
        async with modelplex.AsyncClient(config_file=False, env=env, transport=httpx.MockTransport(handle),
                                         providers={"anthropic": settings} if settings else None) as client:
            if call == "chat":
                return await client.chat("anthropic/claude-sonnet-4-5", "hi")
            if call == "embed":
                return await client.embed("anthropic/claude-sonnet-4-5", "hi")
            return await client.list_models("anthropic")

    return sent, asyncio.run(go())


def test_key_and_base_url_from_the_environment() -> None:
    sent, response = _run({"ANTHROPIC_API_KEY": "sk-ant-env-key-0123456789",
                           "ANTHROPIC_BASE_URL": "http://proxy:8/anthropic/"})
    assert str(sent[0].url) == "http://proxy:8/anthropic/v1/messages"
    assert sent[0].headers["x-api-key"] == "sk-ant-env-key-0123456789"
    assert sent[0].headers["anthropic-version"] == "2023-06-01"
    assert sent[0].headers["accept"] == "application/json"
    assert "authorization" not in sent[0].headers
    assert response.text == "ok"


def test_configured_headers_travel_too() -> None:
    sent, _ = _run({}, api_key="k-123456", headers={"anthropic-beta": "context-1m-2025-08-07"})
    assert sent[0].headers["anthropic-beta"] == "context-1m-2025-08-07"
    assert str(sent[0].url) == "https://api.anthropic.com/v1/messages"


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="ANTHROPIC_API_KEY"):
        _run({})


def test_embed_is_unsupported() -> None:
    with pytest.raises(UnsupportedFeatureError) as info:
        _run({"ANTHROPIC_API_KEY": "k-123456"}, call="embed")
    assert "anthropic/claude-sonnet-4-5" in str(info.value) and "embed" in str(info.value)


def test_list_models_follows_every_page() -> None:
    opus, haiku = "claude-opus-4-1-20250805", "claude-3-haiku-20240307"
    pages = [{"data": [{"type": "model", "id": opus, "display_name": "Claude Opus 4.1"}],
              "has_more": True, "first_id": opus, "last_id": opus},
             {"data": [{"type": "model", "id": haiku, "display_name": "Claude Haiku 3"}],
              "has_more": False, "first_id": haiku, "last_id": haiku}]
    sent, models = _run({"ANTHROPIC_API_KEY": "k-123456"}, call="list_models", replies=pages)
    assert [(r.method, r.url.path, dict(r.url.params)) for r in sent] == [
        ("GET", "/v1/models", {"limit": "1000"}),
        ("GET", "/v1/models", {"limit": "1000", "after_id": "claude-opus-4-1-20250805"})]
    assert [(m.address, m.max_output) for m in models] == [
        ("anthropic/claude-opus-4-1-20250805", 32000), ("anthropic/claude-3-haiku-20240307", 4096)]
    assert sent[0].headers["x-api-key"] == "k-123456"


def test_a_server_repeating_its_cursor_does_not_loop_forever() -> None:
    page = {"data": [{"id": "claude-x"}], "has_more": True, "last_id": "claude-x"}
    sent, models = _run({"ANTHROPIC_API_KEY": "k-123456"}, call="list_models", replies=[page])
    assert len(sent) == 2 and [m.id for m in models] == ["claude-x", "claude-x"]


def test_a_reply_that_is_not_json() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy login</html>")

    async def go() -> None:
        async with modelplex.AsyncClient(config_file=False, env={"ANTHROPIC_API_KEY": "k-123456"},
                                         transport=httpx.MockTransport(handle)) as client:
            await client.chat("anthropic/claude-sonnet-4-5", "hi")

    with pytest.raises(ModelplexError, match="not JSON"):
        asyncio.run(go())


def test_a_whole_reply_to_a_stream_request() -> None:
    """A proxy that ignores "stream": true and answers with one JSON body still gives events."""
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=REPLY)

    async def go() -> modelplex.ChatResponse:
        async with modelplex.AsyncClient(config_file=False, env={"ANTHROPIC_API_KEY": "k-123456"},
                                         transport=httpx.MockTransport(handle)) as client, \
                client.stream("anthropic/claude-sonnet-4-5", "hi") as stream:
            return await stream.get_response()

    response = asyncio.run(go())
    assert response.text == "ok" and response.finish_reason is modelplex.FinishReason.STOP
