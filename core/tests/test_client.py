"""The client API: addressing, settings, error wrapping, streams and connection lifetime."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

import modelplex
from modelplex import (
    AsyncClient,
    ChatResponse,
    Client,
    ProviderInfo,
    TextDelta,
    TextPart,
)
from modelplex._routing.address import split_model
from modelplex.errors import (
    ConfigurationError,
    MissingCredentialsError,
    ResponseParseError,
    StreamInterruptedError,
    TransportError,
    UnknownModelError,
    UnsupportedFeatureError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import fake, fake_client
from modelplex_testing.loopback import LoopbackServer

SECRET = "sk-client-test-SECRET-abcdef123456"


class HttpPlugin:
    """A plugin that really talks HTTP through ``ctx.http`` (to a loopback server in these tests)."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("HTTPY_API_KEY",),
                            base_url_env=("HTTPY_BASE_URL",), default_base_url="http://127.0.0.1:9")

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            self.seen.append(ctx.settings)
            response = await ctx.http.get(f"{ctx.settings.base_url}/answer",
                                          headers={"authorization": f"Bearer {ctx.api_key()}"})
            if response.headers.get("content-type") != "application/json":
                return ChatResponse(provider=ctx.name, model=request.model)
            data = response.json()
            return ChatResponse(provider=ctx.name, model=request.model,
                                parts=[TextPart(text=data["choices"][0]["text"])])
        return run()

    @hookimpl
    def modelplex_chat_stream(self, ctx: modelplex.ProviderContext, request: Any) -> Any:
        @asynccontextmanager
        async def open_stream() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                yield TextDelta(text="partial ")
                # ends without Finished: the core must call this an interruption
            yield events()
        return open_stream()


class Server(LoopbackServer):
    """A loopback HTTP/1.1 server that counts open connections, serving from its creation."""

    def __init__(self, body: bytes = b'{"choices": [{"text": "hi from the wire"}]}',
                 content_type: str = "application/json") -> None:
        self.open = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with outer.lock:
                    outer.open += 1

            def finish(self) -> None:
                super().finish()
                with outer.lock:
                    outer.open -= 1

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)
        self.start()

    def wait_closed(self, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.open and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


def http_client(plugin: HttpPlugin, **kwargs: Any) -> Client:
    kwargs.setdefault("env", {})
    kwargs.setdefault("config_file", False)
    return Client(plugins={"httpy": plugin}, autoload=False, **kwargs)


@pytest.mark.parametrize(("address", "provider", "model"), [
    ("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
    ("together/meta-llama/Llama-3.3-70B-Instruct", "together", "meta-llama/Llama-3.3-70B-Instruct"),
    ("ollama/llama3.2:3b", "ollama", "llama3.2:3b"),
    ("lmstudio/qwen/qwen2.5-7b:q4", "lmstudio", "qwen/qwen2.5-7b:q4"),
])
def test_model_addresses_split_at_the_first_slash(address: str, provider: str, model: str) -> None:
    assert split_model(address) == (provider, model)


@pytest.mark.parametrize("bad", ["gpt-4o", "/gpt-4o", "openai/", ""])
def test_a_model_without_provider_is_a_clear_error(bad: str) -> None:
    with pytest.raises(UnknownModelError, match="provider/model"):
        split_model(bad)


def test_settings_order_is_arguments_then_environment_then_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.httpy]\nbase_url = "http://file"\napi_key = "sk-from-file-000000"\n'
                      'read_timeout = 7\ncolour = "blue"\n')
    config.chmod(0o600)
    plugin = HttpPlugin()

    def resolved(**kwargs: Any) -> modelplex.ProviderSettings:
        return AsyncClient(plugins={"httpy": plugin}, autoload=False, config_file=config,
                           **kwargs).context("httpy").settings

    from_file = resolved(env={})
    assert (from_file.base_url, from_file.api_key.reveal()) == ("http://file", "sk-from-file-000000")
    assert from_file.read_timeout == 7.0 and from_file.options == {"colour": "blue"}
    from_env = resolved(env={"HTTPY_BASE_URL": "http://env/", "HTTPY_API_KEY": "sk-from-env-000000"})
    assert (from_env.base_url, from_env.api_key.reveal()) == ("http://env", "sk-from-env-000000")
    explicit = resolved(env={"HTTPY_BASE_URL": "http://env", "HTTPY_API_KEY": "sk-from-env-000000"},
                        providers={"httpy": {"base_url": "http://arg", "api_key": "sk-from-arg-000000"}})
    assert (explicit.base_url, explicit.api_key.reveal()) == ("http://arg", "sk-from-arg-000000")
    assert "sk-from-arg" not in repr(explicit)


def test_a_provider_can_be_configured_under_another_name(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.local-a]\nplugin = "fake"\n[providers.local-b]\nplugin = "fake"\n')
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=config) as client:
        a = client.chat("local-a/echo", "one")
        b = client.chat("local-b/echo", "two")
    assert (a.provider, a.text, b.provider, b.text) == ("local-a", "echo: one", "local-b", "echo: two")


def test_a_malformed_config_file_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[providers.x\n")
    client = AsyncClient(plugins={"fake": fake}, autoload=False, config_file=config, env={})
    with pytest.raises(ConfigurationError, match=str(config)):
        client.context("fake")


@pytest.mark.parametrize("text", ["", "\n \t\n"])
def test_an_empty_config_file_is_an_empty_config_read_without_a_parser(tmp_path: Path, text: str) -> None:
    from modelplex._config import load_config

    config = tmp_path / "config.toml"
    config.write_text(text)
    loaded = load_config(config, "$MODELPLEX_CONFIG")
    assert (loaded, loaded.path) == ({}, config)
    # Not a file of text: read, it is still a clear error naming the file.
    config.write_bytes(b"\xff\xfe[providers]")
    with pytest.raises(ConfigurationError, match=f"config file {config}: .*codec"):
        load_config(config)
    with pytest.raises(ConfigurationError, match="cannot read it"):
        load_config(tmp_path)


def test_a_key_in_a_readable_config_file_warns(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.fake]\napi_key = "sk-readable-by-all-000"\n')
    config.chmod(0o644)
    client = AsyncClient(plugins={"fake": fake}, autoload=False, config_file=config, env={})
    with pytest.warns(UserWarning, match="chmod 600"):
        client.context("fake")


def test_a_missing_key_says_where_to_put_one(server: Server) -> None:
    with http_client(HttpPlugin(), providers={"httpy": {"base_url": server.url}}) as client, \
            pytest.raises(MissingCredentialsError, match="HTTPY_API_KEY"):
        client.chat("httpy/m", "hi")


def test_a_call_goes_over_the_wire_and_the_connection_closes_with_the_client(server: Server) -> None:
    client = http_client(HttpPlugin(), providers={"httpy": {"base_url": server.url, "api_key": SECRET}})
    with client:
        assert client.chat("httpy/m", "hi").text == "hi from the wire"
        assert server.open == 1, "the connection is pooled while the client lives"
    assert server.wait_closed() == 0


def test_async_client_closes_connections_on_exit(server: Server) -> None:
    async def go() -> None:
        async with AsyncClient(plugins={"httpy": HttpPlugin()}, autoload=False, env={}, config_file=False,
                               providers={"httpy": {"base_url": server.url, "api_key": SECRET}}) as c:
            assert (await c.chat("httpy/m", "hi")).text == "hi from the wire"
    asyncio.run(go())
    assert server.wait_closed() == 0


def test_a_refused_connection_is_a_transport_error() -> None:
    refused = {"httpy": {"base_url": "http://127.0.0.1:9", "api_key": SECRET}}
    with http_client(HttpPlugin(), providers=refused) as client, \
            pytest.raises(TransportError, match=r"httpy/m: cannot connect to 127\.0\.0\.1:9: connection "
                                                "refused") as info:
        client.chat("httpy/m", "hi")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


def test_a_plugin_crash_deep_in_parsing_becomes_a_typed_error() -> None:
    broken = Server(body=b'{"no_choices": true}')
    try:
        settings = {"httpy": {"base_url": broken.url, "api_key": SECRET}}
        with http_client(HttpPlugin(), providers=settings) as client, \
                pytest.raises(ResponseParseError, match=r"plugin 'httpy'.*KeyError"):
            client.chat("httpy/m", "hi")
    finally:
        broken.stop()


def test_a_stream_that_ends_without_finishing_raises_after_its_events() -> None:
    seen: list[str] = []
    with http_client(HttpPlugin(), providers={"httpy": {"api_key": SECRET}}) as client, \
            pytest.raises(StreamInterruptedError, match="httpy/m"), client.stream("httpy/m", "hi") as s:
        seen.extend(s.text_stream())
    assert seen == ["partial "]


def test_a_scripted_cut_keeps_what_was_delivered() -> None:
    with fake_client([{"text": "one two three four", "cut_after": 3}]) as client:
        got: list[str] = []
        with pytest.raises(StreamInterruptedError), client.stream("fake/echo", "x") as s:
            got.extend(s.text_stream())
    assert got == ["one ", "two "]


def test_a_missing_capability_is_unsupported_not_a_crash() -> None:
    with http_client(HttpPlugin(), providers={"httpy": {"api_key": SECRET}}) as client, \
            pytest.raises(UnsupportedFeatureError, match="does not support embed"):
        client.embed("httpy/m", "text")


def test_unknown_chat_options_are_refused_by_name() -> None:
    with fake_client() as client, pytest.raises(modelplex.errors.InvalidRequestError, match="temprature"):
        client.chat("fake/echo", "x", temprature=0.5)


def test_streams_assemble_the_same_response_as_chat() -> None:
    script = [{"reasoning": "think first", "signature": "sig-1", "text": "the answer",
               "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"q": "ü"}}],
               "usage": {"input": 3, "output": 2}}]
    with fake_client(script) as plain, fake_client(script) as streamed:
        expected = plain.chat("fake/thinker", "q")
        with streamed.stream("fake/thinker", "q") as s:
            got = s.get_response()
    assert got.parts == expected.parts
    assert (got.usage, got.finish_reason) == (expected.usage, expected.finish_reason)
    assert got.parts[0] == modelplex.ReasoningPart(text="think first", signature="sig-1",
                                                   origin=modelplex.Origin(provider="fake",
                                                                           model="thinker"))


def test_tool_codec_hook_round_trips_through_the_client() -> None:
    tool = modelplex.Tool(name="lookup", description="d", parameters={"properties": {}})
    with fake_client() as client:
        codec = client.tool_codec("fake")
        wire, warnings = codec.encode_tools([tool])
        assert (codec.decode_tools(json.loads(json.dumps(wire))), warnings) == ([tool], [])


def test_environment_is_read_at_use_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPY_API_KEY", SECRET)
    client = AsyncClient(plugins={"httpy": HttpPlugin()}, autoload=False, config_file=False)
    assert client.context("httpy").api_key() == SECRET
    assert os.environ["HTTPY_API_KEY"] not in repr(client.context("httpy").settings)


def test_transport_seam_reaches_the_plugin() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"text": "mocked"}]})

    with http_client(HttpPlugin(), transport=httpx.MockTransport(handler),
                     providers={"httpy": {"api_key": SECRET, "base_url": "http://x"}}) as client:
        assert client.chat("httpy/m", "hi").text == "mocked"
    assert seen[0].headers["authorization"] == f"Bearer {SECRET}"


def test_listing_every_provider_skips_one_that_fails() -> None:
    with Client(plugins={"fake": fake, "httpy": _ListingPlugin()}, autoload=False, env={},
                config_file=False, providers={"httpy": {"api_key": SECRET}}) as client:
        models = client.list_models()
        assert {m.provider for m in models} == {"fake"}
        with pytest.raises(TransportError):
            client.list_models("httpy")


class _ListingPlugin(HttpPlugin):
    @hookimpl
    def modelplex_list_models(self, ctx: modelplex.ProviderContext) -> Any:
        async def run() -> list[modelplex.ModelInfo]:
            raise TransportError("down", provider=ctx.name)
        return run()


class _OptionEnvPlugin(HttpPlugin):
    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False,
                            option_env={"api_version": ("HTTPY_API_VERSION", "HTTPY_VERSION")})


def test_plugin_options_come_from_the_client_environment(tmp_path: Path) -> None:
    def options(env: dict[str, str], **explicit: Any) -> Any:
        client = AsyncClient(plugins={"httpy": _OptionEnvPlugin()}, autoload=False, config_file=False,
                             env=env, providers={"httpy": explicit})
        return client.context("httpy").settings.options.get("api_version")

    assert options({}) is None
    assert options({"HTTPY_VERSION": "2"}) == "2"
    assert options({"HTTPY_API_VERSION": " 1 ", "HTTPY_VERSION": "2"}) == "1"
    assert options({"HTTPY_API_VERSION": "1"}, api_version="explicit") == "explicit"


def test_redacted_reasoning_blocks_stay_apart_in_a_stream() -> None:
    from modelplex import Finished, FinishReason, ReasoningDelta, ReasoningPart
    from modelplex._stream import Accumulator

    acc = Accumulator("p", "m")
    for event in (ReasoningDelta(redacted_data="enc-1"), ReasoningDelta(redacted_data="enc-2"),
                  ReasoningDelta(text="visible "), ReasoningDelta(text="thought"),
                  ReasoningDelta(signature="sig"), ReasoningDelta(redacted_data="enc-3"),
                  Finished(reason=FinishReason.STOP)):
        acc.add(event)
    parts = acc.response().parts
    assert [(p.text, p.redacted_data, p.signature) for p in parts if isinstance(p, ReasoningPart)] == [
        ("", "enc-1", None), ("", "enc-2", None), ("visible thought", None, "sig"), ("", "enc-3", None)]


def test_encrypted_content_that_ends_a_reasoning_run_stays_with_its_text() -> None:
    from modelplex import Finished, FinishReason, ReasoningDelta, ReasoningPart
    from modelplex._stream import Accumulator

    acc = Accumulator("openai", "o4-mini")
    for event in (ReasoningDelta(text="Plan."), ReasoningDelta(signature="rs_1", redacted_data="enc=="),
                  Finished(reason=FinishReason.STOP)):
        acc.add(event)
    parts = [p for p in acc.response().parts if isinstance(p, ReasoningPart)]
    assert [(p.text, p.signature, p.redacted_data) for p in parts] == [("Plan.", "rs_1", "enc==")]
