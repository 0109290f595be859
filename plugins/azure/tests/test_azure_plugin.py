"""The plugin module and its settings: light to import; each route's URLs and api-version; the
``api-key`` header; the profile each version gets; deployments as the model list."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest
from azure_helpers import ENDPOINT, KEY, Recorder, chat, client, reply, sse, stream
from modelplex_azure.config import (
    DEFAULT_API_VERSION,
    FOUNDRY_API_VERSION,
    takes_max_completion_tokens,
    takes_stream_options,
)

from modelplex import Usage
from modelplex.errors import ConfigurationError, MissingCredentialsError

CHAT = "/chat/completions"


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_azure.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_azure import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.api_key_env == ("AZURE_OPENAI_API_KEY",)
    assert info.base_url_env == ("AZURE_OPENAI_ENDPOINT",)
    assert info.default_base_url is None and info.requires_api_key and not info.local


# -- URLs ------------------------------------------------------------------------------------------
def _url(settings: dict[str, Any] | None = None, model: str = "my-deployment",
         env: dict[str, str] | None = None) -> str:
    recorder = Recorder()
    if env is not None:  # the client's environment replaces the test key and endpoint: give them back
        settings = {"api_key": KEY, "base_url": ENDPOINT, **(settings or {})}
    chat(recorder, model=model, settings=settings, env=env)
    return str(recorder.sent[0].url)


def test_the_default_route_is_the_deployment_url_with_the_ga_api_version() -> None:
    assert DEFAULT_API_VERSION == "2024-10-21"
    assert _url() == f"{ENDPOINT}/openai/deployments/my-deployment{CHAT}?api-version=2024-10-21"


def test_api_version_from_the_environment() -> None:
    url = _url(env={"OPENAI_API_VERSION": "2025-04-01-preview"})
    assert url == f"{ENDPOINT}/openai/deployments/my-deployment{CHAT}?api-version=2025-04-01-preview"


def test_configured_api_version_wins_over_the_environment() -> None:
    assert _url({"api_version": "2024-12-01-preview"}, env={"OPENAI_API_VERSION": "2025-04-01-preview"}) == (
        f"{ENDPOINT}/openai/deployments/my-deployment{CHAT}?api-version=2024-12-01-preview")


def test_the_v1_route_has_no_api_version_and_the_deployment_in_the_body() -> None:
    recorder = Recorder()
    chat(recorder, model="my-gpt4o", settings={"route": "v1", "api_key": KEY, "base_url": ENDPOINT})
    assert str(recorder.sent[0].url) == f"{ENDPOINT}/openai/v1{CHAT}"
    assert recorder.json()["model"] == "my-gpt4o"


def test_the_v1_route_with_an_explicit_api_version() -> None:
    assert _url({"route": "v1", "api_version": "preview"}) == (
        f"{ENDPOINT}/openai/v1{CHAT}?api-version=preview")


def test_the_foundry_route() -> None:
    settings = {"route": "foundry", "base_url": "https://hub.services.ai.azure.com"}
    assert FOUNDRY_API_VERSION == "2024-05-01-preview"
    assert _url(settings) == f"https://hub.services.ai.azure.com/models{CHAT}?api-version=2024-05-01-preview"
    assert _url({**settings, "api_version": "2025-05-01"}) == (
        f"https://hub.services.ai.azure.com/models{CHAT}?api-version=2025-05-01")


@pytest.mark.parametrize("endpoint", [f"{ENDPOINT}/", f"{ENDPOINT}/openai", f"{ENDPOINT}/openai/",
                                      f"{ENDPOINT}/openai/v1", f"{ENDPOINT}/openai/v1/"])
def test_an_endpoint_with_a_route_path_is_the_resource_url(endpoint: str) -> None:
    expected = f"{ENDPOINT}/openai/deployments/d{CHAT}?api-version=2024-10-21"
    assert _url({"base_url": endpoint}, model="d") == expected
    assert _url({"base_url": endpoint, "route": "v1"}, model="d") == f"{ENDPOINT}/openai/v1{CHAT}"


def test_the_deployment_and_version_are_quoted_into_the_url() -> None:
    url = _url({"api_version": "2024-10-21&x=1"}, model="my dep/../x?y")
    assert url == (f"{ENDPOINT}/openai/deployments/my%20dep%2F..%2Fx%3Fy{CHAT}"
                   "?api-version=2024-10-21%26x%3D1")


def test_streaming_and_embeddings_use_the_same_deployment_url() -> None:
    recorder = Recorder(sse({"id": "c", "model": "m", "choices": [
        {"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}))
    stream(recorder, settings={"api_version": "2024-12-01-preview"})
    assert str(recorder.sent[0].url) == (f"{ENDPOINT}/openai/deployments/my-deployment{CHAT}"
                                         "?api-version=2024-12-01-preview")
    assert recorder.sent[0].headers["accept"] == "text/event-stream"

    embedded = Recorder(httpx.Response(200, json={"data": [{"index": 0, "embedding": [0.5, 0.25]}],
                                                  "model": "text-embedding-3-small",
                                                  "usage": {"prompt_tokens": 2, "total_tokens": 2}}))

    async def go() -> Any:
        async with client(embedded) as c:
            return await c.embed("azure/my-embedder", "hello", dimensions=2)

    response = asyncio.run(go())
    assert str(embedded.sent[0].url) == (f"{ENDPOINT}/openai/deployments/my-embedder/embeddings"
                                         "?api-version=2024-10-21")
    assert embedded.json() == {"model": "my-embedder", "input": "hello", "dimensions": 2}
    assert response.vectors == ((0.5, 0.25),) and response.usage == Usage(input=2)
    assert embedded.sent[0].headers["api-key"] == KEY


def test_embeddings_on_the_v1_and_foundry_routes() -> None:
    for settings, url in [({"route": "v1"}, f"{ENDPOINT}/openai/v1/embeddings"),
                          ({"route": "foundry"},
                           f"{ENDPOINT}/models/embeddings?api-version=2024-05-01-preview")]:
        recorder = Recorder(httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]}))

        async def go(settings: dict[str, Any] = settings, recorder: Recorder = recorder) -> None:
            async with client(recorder, **settings) as c:
                await c.embed("azure/emb", ["a"])

        asyncio.run(go())
        assert str(recorder.sent[0].url) == url


# -- the key ---------------------------------------------------------------------------------------
def test_the_key_goes_in_the_api_key_header_only() -> None:
    recorder = Recorder()
    chat(recorder)
    sent = recorder.sent[0]
    assert sent.headers["api-key"] == KEY
    assert "authorization" not in sent.headers
    assert KEY not in str(sent.url) and KEY.encode() not in sent.content


def test_key_and_endpoint_from_the_environment() -> None:
    recorder = Recorder()
    chat(recorder, env={"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_ENDPOINT": "https://env.openai.azure.com/"})
    assert str(recorder.sent[0].url) == (
        f"https://env.openai.azure.com/openai/deployments/my-deployment{CHAT}?api-version=2024-10-21")
    assert recorder.sent[0].headers["api-key"] == KEY


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="AZURE_OPENAI_API_KEY"):
        chat(Recorder(), env={"AZURE_OPENAI_ENDPOINT": ENDPOINT})


def test_no_endpoint_says_where_to_put_one() -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        chat(Recorder(), env={"AZURE_OPENAI_API_KEY": KEY})


@pytest.mark.parametrize(("settings", "message"), [
    ({"route": "classic"}, "'route' must be one of 'deployments', 'v1', 'foundry'"),
    ({"api_version": 20241021}, "'api_version' must be a non-empty string"),
    ({"api_version": " "}, "'api_version' must be a non-empty string"),
    ({"deployments": ["gpt-4o"]}, "'deployments' must be a table"),
    ({"deployments": {"d": 4}}, "'deployments' must be a table"),
    ({"base_url": "my-resource.openai.azure.com"}, "must be a URL"),
])
def test_bad_settings_are_configuration_errors(settings: dict[str, Any], message: str) -> None:
    recorder = Recorder()
    with pytest.raises(ConfigurationError, match=message):
        chat(recorder, settings=settings)
    assert recorder.sent == []


# -- what each api-version takes -------------------------------------------------------------------
@pytest.mark.parametrize(("version", "stream_options", "max_completion_tokens"), [
    ("2024-02-01", False, False), ("2024-06-01", False, False), ("2024-08-01-preview", False, False),
    ("2024-09-01-preview", True, True), ("2024-10-01-preview", True, True),
    ("2024-10-21", True, False), ("2024-12-01-preview", True, True), ("2025-04-01-preview", True, True),
    ("preview", True, True), ("latest", True, True),
])
def test_which_versions_take_stream_options_and_max_completion_tokens(
        version: str, stream_options: bool, max_completion_tokens: bool) -> None:
    assert takes_stream_options(version) is stream_options
    assert takes_max_completion_tokens(version) is max_completion_tokens


def _bodies(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    plain, streamed = Recorder(), Recorder(sse({"id": "c", "model": "m", "choices": [
        {"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}))
    chat(plain, settings=settings, max_tokens=50)
    stream(streamed, settings=settings, max_tokens=50)
    return plain.json(), streamed.json()


def test_the_ga_version_gets_max_tokens_and_stream_usage() -> None:
    body, streamed = _bodies({})
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}


def test_an_older_version_gets_max_tokens_and_streams_without_usage() -> None:
    body, streamed = _bodies({"api_version": "2024-06-01"})
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert streamed["stream"] is True and "stream_options" not in streamed


@pytest.mark.parametrize("settings", [{"api_version": "2025-04-01-preview"}, {"route": "v1"}])
def test_current_versions_get_max_completion_tokens_and_stream_usage(settings: dict[str, Any]) -> None:
    body, streamed = _bodies(settings)
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    assert streamed["stream_options"] == {"include_usage": True}


def test_the_foundry_route_gets_max_tokens_and_stream_usage() -> None:
    body, streamed = _bodies({"route": "foundry"})
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert streamed["stream_options"] == {"include_usage": True}


def test_the_users_profile_table_applies_over_the_routes_profile() -> None:
    _, streamed = _bodies({"route": "v1", "profile": {"stream_usage": False}})
    assert "stream_options" not in streamed
    with pytest.raises(ConfigurationError, match="unknown profile flag 'streaming'"):
        chat(Recorder(), settings={"profile": {"streaming": False}})


def test_a_stream_without_usage_is_estimated() -> None:
    recorder = Recorder(sse({"id": "c", "model": "m", "choices": [
        {"index": 0, "delta": {"content": "Hello there"}, "finish_reason": "stop"}]}))
    response, _ = stream(recorder, settings={"api_version": "2024-06-01"})
    assert response.text == "Hello there" and response.usage.estimated


# -- models ----------------------------------------------------------------------------------------
@pytest.mark.feature("model_listing", provider="azure")
def test_list_models_gives_the_configured_deployments_without_a_request() -> None:
    recorder = Recorder()

    async def go(**settings: Any) -> Any:
        async with client(recorder, **settings) as c:
            return await c.list_models("azure")

    models = asyncio.run(go(deployments={"my-gpt4o": "gpt-4o", "embedder": "text-embedding-3-small"}))
    assert [(m.address, m.name) for m in models] == [("azure/my-gpt4o", "gpt-4o"),
                                                     ("azure/embedder", "text-embedding-3-small")]
    assert asyncio.run(go()) == []
    assert recorder.sent == []


def test_listing_deployments_needs_neither_endpoint_nor_key() -> None:
    async def go() -> Any:
        async with client(Recorder(), env={}, deployments={"d": "gpt-4o-mini"}) as c:
            return await c.list_models("azure")

    assert [m.address for m in asyncio.run(go())] == ["azure/d"]
    with pytest.raises(ConfigurationError, match="'deployments' must be a table"):
        asyncio.run(_list_bad())


async def _list_bad() -> Any:
    async with client(Recorder(), deployments="gpt-4o") as c:
        return await c.list_models("azure")


def test_the_reply_names_the_served_model_and_the_provider() -> None:
    response = chat(Recorder(httpx.Response(200, json=reply("Paris."))), model="my-gpt4o")
    assert response.provider == "azure" and response.model == "gpt-4o-2024-11-20"
    assert response.text == "Paris." and response.usage == Usage(input=16, cache_read=4, output=12)


# -- errors ----------------------------------------------------------------------------------------
def test_a_404_that_is_not_about_the_deployment_points_at_the_endpoint() -> None:
    from modelplex.errors import ModelNotFoundError, NotFoundError

    recorder = Recorder(httpx.Response(404, json={"error": {"code": "404", "message": "Resource not found"}}))
    with pytest.raises(NotFoundError) as info:
        chat(recorder, settings={"api_version": "2099-01-01"})
    assert not isinstance(info.value, ModelNotFoundError)
    assert str(info.value) == ("azure/my-deployment: Resource not found (check the endpoint "
                               "(AZURE_OPENAI_ENDPOINT), the route and the api-version) (HTTP 404)")


@pytest.mark.parametrize(("headers", "message", "expected"), [
    ({"retry-after-ms": "1500", "retry-after": "2"}, "Rate limit is exceeded.", 1.5),
    ({}, "Please retry after 7 seconds.", 7.0),
    ({}, "Rate limit is exceeded. Try again in 86400 seconds.", 86400.0),
    ({}, "Rate limit is exceeded.", None),
])
def test_rate_limit_waits(headers: dict[str, str], message: str, expected: float | None) -> None:
    from modelplex.errors import RateLimitError

    recorder = Recorder(httpx.Response(429, headers=headers, json={"error": {"code": "429",
                                                                             "message": message}}))
    with pytest.raises(RateLimitError) as info:
        chat(recorder)
    assert info.value.retry_after == expected and info.value.status_code == 429
