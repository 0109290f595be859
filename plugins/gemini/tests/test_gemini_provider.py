"""The plugin module and the HTTP side: configuration from the environment, URLs, the key header,
the model list with its pages, embeddings in batches."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from gemini_helpers import KEY, Handler, answering, client
from modelplex_gemini.tools import GeminiToolCodec

import modelplex
from modelplex import Capabilities, ModelInfo, Usage
from modelplex.errors import MissingCredentialsError, ResponseParseError

OK = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}]}


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_gemini.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_gemini import plugin

    info = plugin.modelplex_provider_info()
    assert info.api_key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert info.base_url_env == ("GEMINI_BASE_URL",)
    assert info.default_base_url == "https://generativelanguage.googleapis.com" and info.requires_api_key
    assert info.option_env == {"api_version": ("GEMINI_API_VERSION",)}


def _sent(env: dict[str, str], model: str = "gemini/gemini-2.5-flash", **settings: Any) -> httpx.Request:
    handler = answering(OK)

    async def go() -> None:
        async with modelplex.AsyncClient(config_file=False, env=env, transport=handler.transport,
                                         providers={"gemini": settings} if settings else None) as c:
            await c.chat(model, "hi")

    asyncio.run(go())
    return handler.sent[0]


def test_key_from_gemini_api_key_then_google_api_key() -> None:
    sent = _sent({"GEMINI_API_KEY": "gem-key-0123456789", "GOOGLE_API_KEY": "goo-key-0123456789"})
    assert sent.headers["x-goog-api-key"] == "gem-key-0123456789"
    assert _sent({"GOOGLE_API_KEY": "goo-key-0123456789"}).headers["x-goog-api-key"] == (
        "goo-key-0123456789")
    assert "key=" not in str(sent.url) and "authorization" not in sent.headers
    assert str(sent.url) == ("https://generativelanguage.googleapis.com/v1beta/models/"
                             "gemini-2.5-flash:generateContent")


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        _sent({})


@pytest.mark.parametrize(("base", "settings", "model", "url"), [
    ("http://127.0.0.1:8080/", {}, "gemini/gemini-2.5-flash",
     "http://127.0.0.1:8080/v1beta/models/gemini-2.5-flash:generateContent"),
    ("https://proxy.example/gemini", {}, "gemini/gemini-2.5-flash",
     "https://proxy.example/gemini/v1beta/models/gemini-2.5-flash:generateContent"),
    ("https://proxy.example/v1beta", {}, "gemini/gemini-2.5-flash",
     "https://proxy.example/v1beta/models/gemini-2.5-flash:generateContent"),
    ("https://proxy.example", {"api_version": "v1alpha"}, "gemini/models/gemini-2.5-flash",
     "https://proxy.example/v1alpha/models/gemini-2.5-flash:generateContent"),
    ("https://proxy.example", {}, "gemini/tunedModels/my-model-1",
     "https://proxy.example/v1beta/tunedModels/my-model-1:generateContent"),
])
def test_base_url_version_and_model_path(base: str, settings: dict[str, Any], model: str,
                                         url: str) -> None:
    sent = _sent({"GEMINI_API_KEY": "gem-key-0123456789", "GEMINI_BASE_URL": base}, model, **settings)
    assert str(sent.url) == url


def test_api_version_from_the_environment_unless_configured() -> None:
    env = {"GEMINI_API_KEY": "gem-key-0123456789", "GEMINI_API_VERSION": "v1"}
    assert _sent(env).url.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert _sent(env, api_version="v1alpha").url.path == "/v1alpha/models/gemini-2.5-flash:generateContent"


def test_the_tool_codec_hook() -> None:
    async def go() -> Any:
        async with client(answering(OK)) as c:
            return c.tool_codec("gemini")
    codec = asyncio.run(go())
    assert isinstance(codec, GeminiToolCodec) and codec.format == "gemini" and codec.provider == "gemini"


# -- models ----------------------------------------------------------------------------------------

PAGE_1 = {"models": [
    {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash", "inputTokenLimit": 1048576,
     "outputTokenLimit": 65536, "thinking": True,
     "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent",
                                    "batchGenerateContent"]},
    {"name": "models/gemini-embedding-001", "displayName": "Gemini Embedding 001",
     "inputTokenLimit": 2048, "outputTokenLimit": 1,
     "supportedGenerationMethods": ["embedContent", "countTextTokens", "countTokens"]}],
    "nextPageToken": "page-2"}
PAGE_2 = {"models": [{"name": "models/aqa", "supportedGenerationMethods": ["generateAnswer"]},
                     {"name": "models/odd"}]}


def _models(*pages: dict[str, Any]) -> tuple[list[ModelInfo], Handler]:
    handler = answering(*pages)

    async def go() -> list[ModelInfo]:
        async with client(handler) as c:
            return await c.list_models("gemini")
    return asyncio.run(go()), handler


def test_list_models_follows_every_page() -> None:
    models, handler = _models(PAGE_1, PAGE_2)
    assert [m.address for m in models] == ["gemini/gemini-2.5-flash", "gemini/gemini-embedding-001",
                                           "gemini/aqa", "gemini/odd"]
    assert [(r.method, r.url.path, dict(r.url.params)) for r in handler.sent] == [
        ("GET", "/v1beta/models", {"pageSize": "1000"}),
        ("GET", "/v1beta/models", {"pageSize": "1000", "pageToken": "page-2"})]
    assert all(r.headers["x-goog-api-key"] == KEY for r in handler.sent)
    flash, embedding, aqa, odd = models
    assert (flash.name, flash.context_window, flash.max_output) == ("Gemini 2.5 Flash", 1048576, 65536)
    # What the listing says wins; list_models completes the rest from the catalog (issue 13).
    said = ("chat", "streaming", "embeddings", "reasoning")
    assert [getattr(flash.capabilities, c) for c in said] == [True, True, False, True]
    assert [getattr(embedding.capabilities, c) for c in said[:3]] == [False, False, True]
    assert {m.sources[f"capabilities.{c}"] for m in (flash, embedding) for c in said[:3]} == {"live"}
    assert aqa.capabilities.chat is False and odd.capabilities == Capabilities()


def test_list_models_stops_on_a_repeated_page_token() -> None:
    looping = {**PAGE_2, "nextPageToken": "again"}
    models, handler = _models(looping)
    assert len(handler.sent) == 2 and len(models) == 4


# -- embeddings ------------------------------------------------------------------------------------


def _embed(inputs: list[str], **options: Any) -> tuple[Any, Handler]:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={"embeddings": [
            {"values": [float(len(r["content"]["parts"][0]["text"])), 0.5]} for r in body["requests"]]})

    handler = Handler(answer)

    async def go() -> Any:
        async with client(handler) as c:
            return await c.embed("gemini/gemini-embedding-001", inputs, **options)
    return asyncio.run(go()), handler


def test_embeddings_in_batches_of_a_hundred_in_order() -> None:
    inputs = ["x" * (i % 13) for i in range(250)]
    response, handler = _embed(inputs, dimensions=3, task_type="retrieval_document",
                               title="Doc")
    assert [len(handler.json(i)["requests"]) for i in range(3)] == [100, 100, 50]
    assert [v[0] for v in response.vectors] == [float(len(t)) for t in inputs]
    first = handler.json(0)["requests"][0]
    assert first == {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": ""}]},
                     "taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 3, "title": "Doc"}
    assert handler.sent[0].url.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert response.usage.estimated and response.usage.input > 0
    assert response.provider == "gemini" and response.model == "gemini-embedding-001"


def test_embeddings_count_must_match() -> None:
    handler = answering({"embeddings": [{"values": [1.0]}]})

    async def go() -> None:
        async with client(handler) as c:
            await c.embed("gemini/gemini-embedding-001", ["a", "b"])
    with pytest.raises(ResponseParseError, match="expected 2 embeddings, got 1"):
        asyncio.run(go())


def test_a_single_input_embeds_too() -> None:
    response, handler = _embed(["hello"])
    assert response.vectors == ((5.0, 0.5),) and handler.json(0)["requests"][0]["content"] == {
        "parts": [{"text": "hello"}]}
    assert response.usage == Usage(input=2, estimated=True)
