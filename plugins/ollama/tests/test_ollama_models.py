"""Model descriptions from /api/tags and /api/show: context length, capabilities, the digest cache."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from modelplex_ollama.models import capabilities, context_length, list_models, model_info
from ollama_helpers import recording

from modelplex import Capabilities, ProviderContext, ProviderSettings
from modelplex_testing.replay import Replayer

TAGS = recording("ollama/05_api_tags_docs").response["body"]["models"]
SHOW = recording("ollama/06_api_show_docs").response["body"]


def test_a_model_from_tags_and_show() -> None:
    info = model_info("ollama", TAGS[1], SHOW)
    assert info.id == "llama3.2:latest" and info.name == "llama 3.2B Q4_K_M" and info.local
    assert info.context_window == 8192  # llama.context_length of the GGUF metadata
    assert info.capabilities == Capabilities(chat=True, streaming=True, tools=False, vision=True,
                                             json_schema=True, reasoning=False, embeddings=False)


def test_unknown_capabilities_stay_unknown() -> None:
    assert capabilities(None) == Capabilities()
    assert context_length(None, {"context_length": 32768}) == 32768
    assert context_length({"model_info": {}}, {}) is None
    remote = model_info("ollama", {"name": "gpt-oss:120b-cloud", "remote_host": "https://ollama.com"}, None)
    assert not remote.local and remote.capabilities == Capabilities()


def test_shows_are_cached_by_digest_until_the_digest_changes() -> None:
    replayer = Replayer(recording("ollama/05_api_tags_docs"), recording("ollama/06_api_show_docs"),
                        recording("ollama/06_api_show_docs"), recording("ollama/05_api_tags_docs"))
    ctx = ProviderContext(ProviderSettings(name="ollama", plugin="ollama", transport=replayer.transport))

    async def go() -> list[Any]:
        first = await list_models(ctx)
        second = await list_models(ctx)
        await ctx.aclose()
        return [first, second]

    first, second = asyncio.run(go())
    assert [m.id for m in first] == ["deepseek-r1:latest", "llama3.2:latest"] and first == second
    assert [r.url.path for r in replayer.sent] == ["/api/tags", "/api/show", "/api/show", "/api/tags"]
    assert sorted(replayer.sent_json(i)["model"] for i in (1, 2)) == ["deepseek-r1:latest", "llama3.2:latest"]


def test_a_show_that_fails_leaves_the_model_listed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/tags":
            return httpx.Response(200, json={"models": TAGS})
        return httpx.Response(500, json={"error": "boom"})

    ctx = ProviderContext(ProviderSettings(name="ollama", plugin="ollama",
                                           transport=httpx.MockTransport(handle)))
    models = asyncio.run(list_models(ctx))
    assert [m.id for m in models] == ["deepseek-r1:latest", "llama3.2:latest"]
    assert models[0].context_window is None and models[0].capabilities == Capabilities()
