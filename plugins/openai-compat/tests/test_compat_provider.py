"""The assembled provider: auth styles, URL builders, stage overrides, profile tables, embeddings,
model lists, and the plugin object an entry point names."""

from __future__ import annotations

import asyncio
import base64
import struct
import subprocess
import sys
from typing import Any

import attrs
import httpx
import pytest
from compat_helpers import BASE, KEY, Harness, json_response
from modelplex_openai_compat import (
    AuthStyle,
    CompatConfig,
    CompatProvider,
    Profile,
    Stages,
    base_url,
    compat_plugin,
    map_finish_reason,
)

from modelplex import AsyncClient, FinishReason, ProviderContext, Usage
from modelplex._plugins import Registry
from modelplex.errors import (
    ConfigurationError,
    MissingCredentialsError,
    ResponseParseError,
    UnsupportedFeatureError,
)

REPLY = {"id": "r1", "model": "m-1", "choices": [{"index": 0, "finish_reason": "done",
                                                  "message": {"content": "ok"}}],
         "usage": {"prompt_tokens": 2, "completion_tokens": 1}}


def provider(profile: Profile | None = None, stages: Stages | None = None, **config: Any) -> (
        CompatProvider):
    return CompatProvider(CompatConfig(name="Acme", default_base_url=BASE, **config), profile,
                          stages)


def test_bearer_auth_and_default_url() -> None:
    h = Harness(provider(default_headers={"X-Title": "modelplex"})).reply(json_response(REPLY))
    response = h.chat()
    sent = h.sent[0]
    assert str(sent.url) == f"{BASE}/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-title"] == "modelplex"
    assert KEY not in str(sent.url)
    assert response.text == "ok" and response.usage == Usage(input=2, output=1)


def test_configured_headers_win_over_defaults() -> None:
    h = Harness(provider(default_headers={"X-Title": "modelplex"}),
                settings={"headers": {"x-title": "mine"}}).reply(json_response(REPLY))
    h.chat()
    assert h.sent[0].headers.get_list("x-title") == ["mine"]


def test_api_key_header_and_an_azure_style_url_builder() -> None:
    def deployment_url(ctx: ProviderContext, endpoint: str, model: str | None) -> str:
        version = ctx.settings.options.get("api_version", "2024-10-21")
        return f"{base_url(ctx)}/openai/deployments/{model}/{endpoint}?api-version={version}"

    p = provider(auth=AuthStyle.API_KEY_HEADER, url=deployment_url)
    h = Harness(p, settings={"base_url": "https://res.openai.azure.com",
                             "api_version": "2024-12-01-preview"}).reply(json_response(REPLY))
    h.chat()
    assert str(h.sent[0].url) == ("https://res.openai.azure.com/openai/deployments/m-1/"
                                  "chat/completions?api-version=2024-12-01-preview")
    assert h.sent[0].headers["api-key"] == KEY and "authorization" not in h.sent[0].headers


def test_a_local_server_needs_no_key_unless_one_is_configured() -> None:
    local = provider(requires_api_key=False, local=True)
    h = Harness(local, settings={"api_key": None}).reply(json_response(REPLY))
    h.chat()
    assert "authorization" not in h.sent[0].headers
    h = Harness(local, settings={"api_key": None, "api_key_env": "LOCAL_KEY"})
    with pytest.raises(MissingCredentialsError, match="LOCAL_KEY"):
        h.chat()


def test_a_hosted_server_without_a_key_says_where_to_put_one() -> None:
    h = Harness(provider(api_key_env=("ACME_API_KEY",)), settings={"api_key": None})
    with pytest.raises(MissingCredentialsError, match="acme"):
        h.chat()


def test_no_base_url_is_a_configuration_error() -> None:
    h = Harness(CompatProvider(CompatConfig(name="Bare")))
    with pytest.raises(ConfigurationError, match=r"\[providers.acme\]"):
        h.chat()


def test_a_replaced_stage_is_used_by_the_defaults_that_call_it() -> None:
    def finish(raw: str | None) -> FinishReason:
        return FinishReason.STOP if raw == "done" else map_finish_reason(raw)

    p = provider(stages=attrs.evolve(Stages(), map_finish_reason=finish))
    assert Harness(provider()).reply(json_response(REPLY)).chat().finish_reason is (
        FinishReason.OTHER)
    response = Harness(p).reply(json_response(REPLY)).chat()
    assert response.finish_reason is FinishReason.STOP and response.raw_finish_reason == "done"


def test_the_users_profile_table_applies_per_provider() -> None:
    h = Harness(settings={"profile": {"unsupported_options": ["seed"]}}).reply(json_response(REPLY))
    response = h.chat(seed=3)
    assert "seed" not in h.body() and [w.field for w in response.warnings] == ["seed"]
    bad = Harness(settings={"profile": {"nonsense": True}})
    with pytest.raises(ConfigurationError, match="nonsense"):
        bad.chat()


def test_encoding_warnings_reach_the_response() -> None:
    h = Harness(provider(Profile(supports_images=False))).reply(json_response(REPLY))
    from modelplex import ImagePart, Message, TextPart

    response = h.chat([Message.user([TextPart(text="look"), ImagePart(url="https://x/a.png")])])
    assert [w.code for w in response.warnings] == ["dropped-part"]


def test_a_body_that_is_not_json_is_a_parse_error() -> None:
    h = Harness().reply(httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(ResponseParseError, match="not JSON"):
        h.chat()


# -- embeddings -----------------------------------------------------------------------------------
def _embedding_reply(request: httpx.Request) -> httpx.Response:
    import json

    body = json.loads(request.content)
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    return json_response({"model": "e-1", "usage": {"prompt_tokens": len(inputs)},
                          "data": [{"index": i, "embedding": [float(i), 0.5]}
                                   for i in range(len(inputs))][::-1]})


class _Embedder(Harness):
    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return _embedding_reply(request)


def test_embeddings_are_batched_and_ordered() -> None:
    h = _Embedder(provider(Profile(embedding_batch_size=2)))
    response = h.run(lambda c: c.embed("acme/e-1", ["a", "b", "c"], dimensions=2))
    assert [h.body(i)["input"] for i in range(2)] == [["a", "b"], ["c"]]
    assert all(h.body(i)["dimensions"] == 2 for i in range(2))
    assert response.vectors == ((0.0, 0.5), (1.0, 0.5), (0.0, 0.5))
    assert response.usage == Usage(input=3) and response.model == "e-1"


def test_one_input_travels_as_a_string_and_task_type_is_warned_about() -> None:
    h = _Embedder()
    response = h.run(lambda c: c.embed("acme/e-1", "only", task_type="RETRIEVAL_QUERY"))
    assert h.body()["input"] == "only" and "dimensions" not in h.body()
    assert [w.field for w in response.warnings] == ["task_type"]


def test_base64_embeddings() -> None:
    packed = base64.b64encode(struct.pack("<3f", 0.25, -1.0, 2.0)).decode()
    h = Harness().reply(json_response({"data": [{"index": 0, "embedding": packed}]}))
    response = h.run(lambda c: c.embed("acme/e-1", "x", encoding_format="base64"))
    assert response.vectors == ((0.25, -1.0, 2.0),) and h.body()["encoding_format"] == "base64"
    assert response.usage.estimated


def test_a_wrong_number_of_vectors_is_a_parse_error() -> None:
    h = Harness().reply(json_response({"data": []}))
    with pytest.raises(ResponseParseError, match="expected 2 embeddings"):
        h.run(lambda c: c.embed("acme/e-1", ["a", "b"]))


# -- models and hooks -----------------------------------------------------------------------------
def test_list_models() -> None:
    h = Harness(provider(local=True)).reply(json_response({"object": "list", "data": [
        {"id": "b-model", "context_window": 131072}, {"id": "a-model", "context_length": 8192},
        {"id": "c-model"}, {"no": "id"}]}))
    models = h.run(lambda c: c.list_models("acme"))
    assert [(m.id, m.context_window, m.local) for m in models] == [
        ("b-model", 131072, True), ("a-model", 8192, True), ("c-model", None, True)]
    assert str(h.sent[0].url) == f"{BASE}/models" and h.sent[0].method == "GET"


def _plugin_client(plugin: object, handler: Any = None) -> Any:
    transport = httpx.MockTransport(handler or (lambda request: json_response(REPLY)))
    return AsyncClient(plugins={"acme": plugin}, autoload=False, config_file=False, env={},
                       providers={"acme": {"api_key": KEY, "transport": transport}})


def test_compat_plugin_is_one_registrable_object_built_on_the_first_call() -> None:
    built: list[Stages] = []

    def stages() -> Stages:
        built.append(attrs.evolve(Stages(), map_finish_reason=lambda raw: FinishReason.LENGTH))
        return built[-1]

    plugin = compat_plugin(CompatConfig(name="Acme", default_base_url=BASE, api_key_env=("A_KEY",)),
                           Profile(supports_embeddings=False), stages)
    record = Registry({"acme": plugin}, autoload=False).records["acme"]
    assert record.info.api_key_env == ("A_KEY",) and record.info.default_base_url == BASE
    assert record.hooks == ("modelplex_chat", "modelplex_chat_stream", "modelplex_list_models",
                            "modelplex_tool_codec")
    assert built == []  # registering built nothing: discovery stays light

    async def go(client: AsyncClient) -> Any:
        first = await client.chat("acme/m-1", "hi")
        await client.chat("acme/m-1", "hi")
        return first, client.tool_codec("acme")

    async def run() -> Any:
        async with _plugin_client(plugin) as client:
            return await go(client)

    response, codec = asyncio.run(run())
    assert response.finish_reason is FinishReason.LENGTH  # the declared stages serve the calls
    assert len(built) == 1 and codec.format == "openai-chat"


def test_compat_plugin_without_an_endpoint_says_not_supported() -> None:
    plugin = compat_plugin(CompatConfig(name="Acme", default_base_url=BASE),
                           Profile(supports_embeddings=False, supports_list_models=False))
    assert plugin.modelplex_embed is None and plugin.modelplex_list_models is None

    async def run() -> None:
        async with _plugin_client(plugin) as client:
            await client.embed("acme/e-1", "x")

    with pytest.raises(UnsupportedFeatureError):
        asyncio.run(run())


def test_compat_plugin_refuses_a_provider_unlike_its_declaration() -> None:
    config = CompatConfig(name="Acme", default_base_url=BASE)
    with pytest.raises(ValueError, match="stages or a provider"):
        compat_plugin(config, stages=Stages, provider=lambda: CompatProvider(config))
    plugin = compat_plugin(config, Profile(stream_usage=False),
                           provider=lambda: CompatProvider(config))
    with pytest.raises(ValueError, match="another config or profile"):
        plugin.provider()


def test_importing_a_declaration_loads_no_plumbing() -> None:
    code = ("import sys; from modelplex_openai_compat import CompatConfig, compat_plugin; "
            "compat_plugin(CompatConfig(name='A', default_base_url='http://x'))\n"
            "print(sorted(m for m in ('httpx', 'modelplex_openai_compat.provider') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_profile_table_can_turn_an_endpoint_off() -> None:
    h = Harness(settings={"profile": {"supports_list_models": False}})
    with pytest.raises(UnsupportedFeatureError):
        h.run(lambda c: c.list_models("acme"))
    assert h.sent == []


async def _codec(client: Any) -> Any:
    return client.tool_codec("acme")
