"""No secret reachable from an error, a repr or a log line (issue 11, item 2).

The secrets: an API key, a token in a credential-named header of the ``headers`` setting
(``X-Auth-Token``) and one in a header the ``secret_headers`` setting marks (``X-Custom``). A provider
plugin that really talks HTTP (:class:`WirePlugin`) calls a loopback server that quotes every request
header back in its answers (``modelplex_testing.echo_server``); :func:`find_secrets` then looks through
the error's str, repr, args and attributes along its whole ``__cause__``/``__context__`` chain.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import structlog

import modelplex
from modelplex import (
    AsyncClient,
    ChatResponse,
    Finished,
    FinishReason,
    ModelInfo,
    ProviderInfo,
    ProviderSettings,
    SecretHeaders,
    TextDelta,
    TextPart,
)
from modelplex import _logging as mlog
from modelplex._http import build
from modelplex._translate import ExceptionSummary, translate
from modelplex.errors import (
    AuthenticationError,
    ModelplexError,
    RequestTimeoutError,
    ResponseParseError,
    RoutingError,
    StreamInterruptedError,
    TransportError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing.echo_server import EchoServer
from modelplex_testing.secret_walk import find_secrets

KEY = "mpx-wire-KEY-5f2a9c1e7b3d"
TOKEN = "hdr-token-VALUE-81c4e2a9"  # X-Auth-Token: a credential by its name
CUSTOM = "custom-hdr-VALUE-3b7d10fe"  # X-Custom: a credential because secret_headers says so
SECRETS = (KEY, TOKEN, CUSTOM)


class WirePlugin:
    """A provider that calls ``POST {base_url}/chat`` (and ``/stream``, ``GET /models``) with the key in
    ``Authorization``, and fails as real plugins do: an API error carrying the body, a parse error
    raised ``from`` the JSON error (which keeps the whole body), a foreign exception left to the core."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, default_base_url="http://127.0.0.1:9")

    def headers(self, ctx: modelplex.ProviderContext) -> SecretHeaders:
        return ctx.memo("wire.headers", lambda: SecretHeaders({"authorization": f"Bearer {ctx.api_key()}"}))

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            response = await ctx.post_json(f"{ctx.settings.base_url}/chat", {"model": request.model},
                                           self.headers(ctx))
            data = self.parse(ctx, request.model, response)
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text=data["text"])])
        return run()

    @hookimpl
    def modelplex_list_models(self, ctx: modelplex.ProviderContext) -> Any:
        async def run() -> list[ModelInfo]:
            response = await ctx.http.get(f"{ctx.settings.base_url}/models", headers=self.headers(ctx))
            self.parse(ctx, None, response)
            return []
        return run()

    @hookimpl
    def modelplex_chat_stream(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        @asynccontextmanager
        async def open_stream() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async with ctx.http.stream("POST", f"{ctx.settings.base_url}/stream", json={},
                                       headers=self.headers(ctx)) as response:
                yield self.events(ctx, request.model, response)
        return open_stream()

    async def events(self, ctx: modelplex.ProviderContext, model: str,
                     response: httpx.Response) -> AsyncIterator[modelplex.StreamEvent]:
        try:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    chunk = json.loads(line[6:])  # a bad event: the JSON error, left to the core
                    yield TextDelta(text=chunk["choices"][0]["delta"]["content"])
        except httpx.TransportError as exc:
            raise StreamInterruptedError("the stream broke off", provider=ctx.name, model=model) from exc
        yield Finished(reason=FinishReason.STOP)

    @staticmethod
    def parse(ctx: modelplex.ProviderContext, model: str | None, response: httpx.Response) -> Any:
        if response.status_code >= 400:  # the provider's own words in the message, as real plugins do
            raise AuthenticationError(response.json()["error"]["message"], provider=ctx.name, model=model,
                                      status_code=response.status_code, body=response.text)
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise ResponseParseError("the reply is not JSON", provider=ctx.name, model=model) from exc


def wire_settings(url: str, **more: Any) -> dict[str, Any]:
    return {"api_key": KEY, "base_url": url, "headers": {"X-Auth-Token": TOKEN, "X-Custom": CUSTOM},
            "secret_headers": ["X-Custom"], **more}


def client_for(url: str, **kwargs: Any) -> AsyncClient:
    return AsyncClient(plugins={"wire": WirePlugin()}, autoload=False, config_file=False, env={},
                       providers={"wire": wire_settings(url)}, **kwargs)


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


async def failure(url: str, stream: bool = False, **kwargs: Any) -> ModelplexError:
    async with client_for(url, **kwargs) as client:
        try:
            if stream:
                async with client.stream("wire/m", "hi") as s:
                    async for _ in s:
                        pass
            else:
                await client.chat("wire/m", "hi")
        except ModelplexError as err:
            return err
    raise AssertionError("the call should have failed")


@pytest.fixture
def echo() -> Iterator[type[EchoServer]]:
    started: list[EchoServer] = []

    def start(answers: list[str]) -> EchoServer:
        started.append(EchoServer(answers).__enter__())
        return started[-1]

    yield start  # type: ignore[misc]
    for server in started:
        server.__exit__(None, None, None)


def test_the_walker_finds_a_key_in_the_request_an_httpx_error_keeps() -> None:
    """The check the other tests rely on can fail: httpx keeps the request, headers and all."""
    async def go() -> BaseException:
        http = build(ProviderSettings(name="p", plugin="p"))
        try:
            await http.get(refused_url(), headers={"x-api-key": KEY})
        except httpx.ConnectError as exc:
            return exc
        finally:
            await http.aclose()
        raise AssertionError("the connection should have been refused")

    raw = asyncio.run(go())
    assert any("request" in place for place in find_secrets(raw, SECRETS))
    err = translate(raw, "p", "m", "p")
    assert isinstance(err, TransportError)
    assert find_secrets(err, SECRETS) == []


def test_a_refused_connection_keeps_what_debugging_needs_and_no_secret() -> None:
    url = refused_url()
    err = asyncio.run(failure(url))
    assert isinstance(err, TransportError)
    assert find_secrets(err, SECRETS) == []
    # One plain cause for people; the chain of summaries below keeps both libraries' exceptions.
    assert f"cannot connect to {url.removeprefix('http://')}: connection refused" in str(err)
    assert "ssl:default" not in str(err)
    assert f"POST {url}/chat" in str(err)
    chain = [err.__cause__, err.__cause__.__cause__ if err.__cause__ else None]
    assert [type(e) for e in chain] == [ExceptionSummary, ExceptionSummary]
    assert [e.type_name for e in chain if isinstance(e, ExceptionSummary)] == [
        "httpx.ConnectError", "aiohttp.client_exceptions.ClientConnectorError"]
    assert str(pickle.loads(pickle.dumps(chain[0]))) == str(chain[0]), "a summary crosses processes"


@pytest.mark.parametrize(("answer", "kind"), [("401", AuthenticationError), ("malformed", ResponseParseError),
                                              ("reset", TransportError)])
def test_an_answer_that_echoes_the_credentials_leaves_none_in_the_error(
        echo: Any, answer: str, kind: type[ModelplexError]) -> None:
    server = echo([answer])
    err = asyncio.run(failure(server.url))
    assert {server.received[0].get("x-auth-token"), server.received[0].get("x-custom")} == {TOKEN, CUSTOM}
    assert isinstance(err, kind)
    assert find_secrets(err, SECRETS) == []


@pytest.mark.parametrize(("answer", "kind"), [("stream-malformed", ResponseParseError),
                                              ("stream-cut", StreamInterruptedError)])
def test_a_stream_that_fails_leaves_no_secret_in_the_error(
        echo: Any, answer: str, kind: type[ModelplexError]) -> None:
    server = echo([answer])
    err = asyncio.run(failure(server.url, stream=True))
    assert isinstance(err, kind)
    assert find_secrets(err, SECRETS) == []


def test_the_trace_of_a_failed_chain_holds_no_credential(echo: Any) -> None:
    server = echo(["401"])
    providers = {"wire": wire_settings(server.url), "wire2": wire_settings(server.url, plugin="wire")}

    async def go() -> ModelplexError:
        async with AsyncClient(plugins={"wire": WirePlugin()}, autoload=False, config_file=False, env={},
                               providers=providers, chains={"both": ["wire/a", "wire2/b"]}) as client:
            try:
                await client.chat("chain/both", "hi")
            except ModelplexError as err:
                return err
        raise AssertionError("the chain should have failed")

    err = asyncio.run(go())
    assert isinstance(err, RoutingError) and err.trace is not None
    assert [a.error_type for a in err.trace.attempts] == ["AuthenticationError"] * 2
    assert find_secrets(err, SECRETS) == []


def test_an_exception_group_and_a_chain_that_meets_itself_are_cleaned() -> None:
    def failing(text: str) -> ValueError:
        try:
            json.loads(text)
        except ValueError as exc:
            return exc
        raise AssertionError

    first, second = failing(f"{{{KEY}"), failing(f"[{TOKEN}")
    first.__context__ = second
    second.__context__ = first  # a cycle: the walk must end
    group = ExceptionGroup("two failures", [first, second])
    err = translate(group, "p", "m", "p")
    assert isinstance(err, ResponseParseError)
    assert find_secrets(err, SECRETS) == []
    summary = err.__cause__
    assert isinstance(summary, ExceptionSummary) and len(summary.exceptions) == 2

    inner = ResponseParseError("bad", provider="p", model="m")
    inner.__cause__ = failing(f'{{"key": "{CUSTOM}"')
    assert translate(ExceptionGroup("one", [inner]), "p", "m", "p") is inner
    assert find_secrets(inner, SECRETS) == []


def test_settings_config_contexts_and_clients_show_no_secret_in_their_repr(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    headers = f'{{ "X-Auth-Token" = "{TOKEN}", "X-Custom" = "{CUSTOM}", "X-Plain" = "ok" }}'
    config.write_text(f'[providers.wire]\napi_key = "{KEY}"\nsecret_headers = ["X-Custom"]\n'
                      f'headers = {headers}\n'
                      '[routing]\nredis = "redis://:redis-PASSWORD-77@127.0.0.1:6379/0"\n')
    config.chmod(0o600)
    client = AsyncClient(plugins={"wire": WirePlugin()}, autoload=False, config_file=config, env={})
    ctx = client.context("wire")
    assert ctx.settings.headers["X-Custom"] == CUSTOM, "the wire gets the real value"
    assert ctx.api_key() == KEY
    secrets = (*SECRETS, "redis-PASSWORD-77")
    shown = {"config": repr(client.config), "settings": repr(client.settings),
             "provider settings": repr(ctx.settings), "context": repr(ctx), "client": repr(client),
             "sync client": repr(modelplex.Client(plugins={"wire": WirePlugin()}, autoload=False,
                                                  config_file=config, env={}))}
    assert {name: find_secrets(text, secrets) for name, text in shown.items()} == {k: [] for k in shown}
    assert "X-Plain': 'ok'" in shown["provider settings"], "a header that is no credential shows"


def test_an_explicit_header_token_is_masked_in_the_settings_repr() -> None:
    settings = ProviderSettings(name="p", plugin="p", headers={"Authorization": "Bearer abc.def-123456",
                                                               "X-Custom": CUSTOM, "Accept": "text/plain"},
                                secret_headers=["x-custom"], options={"client_secret": "opt-SECRET-991"})
    shown = repr(settings)
    assert find_secrets(shown, ("abc.def-123456", CUSTOM, "opt-SECRET-991")) == []
    assert "'Accept': 'text/plain'" in shown


def test_a_log_line_for_a_failed_call_shows_no_header_token(echo: Any) -> None:
    server = echo(["401"])
    lines: list[dict[str, object]] = []

    def sink(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        lines.append(dict(event))
        raise structlog.DropEvent

    async def go() -> None:
        async with client_for(server.url) as client:
            assert await client.list_models() == []

    structlog.configure(processors=[sink])
    try:
        asyncio.run(go())
    finally:
        structlog.reset_defaults()
        mlog.enable(False)
    assert [line["event"] for line in lines] == ["http", "list_models_failed"]  # the request, then why
    assert lines[0]["status"] == 401 and "HTTP 401" in str(lines[1]["error"])
    assert find_secrets(lines, SECRETS) == []


def test_aiohttp_exceptions_map_as_httpx_ones_would() -> None:
    timeout = translate(aiohttp.ServerTimeoutError("read timed out"), "p", "m", "p")
    assert isinstance(timeout, RequestTimeoutError) and "ServerTimeoutError" in str(timeout)
    cut = translate(aiohttp.ClientPayloadError(f"body cut short after {TOKEN}"), "p", "m", "p")
    assert isinstance(cut, TransportError) and "ClientPayloadError: body cut short" in str(cut)
    assert find_secrets(cut, SECRETS) == []


def test_a_key_in_the_url_query_is_masked_even_if_never_registered() -> None:
    """Gemini's API also takes ``?key=``: a value Modelplex never saw is still masked by its name."""
    unseen = "qk-NEVER-REGISTERED-6d1e"
    url = f"{refused_url()}/v1/models?alt=sse&key={unseen}"

    async def go() -> ModelplexError:
        http = build(ProviderSettings(name="p", plugin="p"))
        try:
            await http.get(url)
        except httpx.ConnectError as exc:
            return translate(exc, "p", "m", "p")
        finally:
            await http.aclose()
        raise AssertionError("the connection should have been refused")

    err = asyncio.run(go())
    assert find_secrets(err, (unseen,)) == []
    assert "?alt=sse&key=***" in str(err), "the rest of the URL stays"


def consume(client: modelplex.Client, answer: str) -> None:
    if answer.startswith("stream"):
        with client.stream("wire/m", "hi") as s:
            list(s)
    else:
        client.chat("wire/m", "hi")


@pytest.mark.parametrize("answer", ["401", "malformed", "stream-malformed", "stream-cut"])
def test_the_synchronous_client_hands_over_the_same_clean_errors(echo: Any, answer: str) -> None:
    server = echo([answer])
    with modelplex.Client(plugins={"wire": WirePlugin()}, autoload=False, config_file=False, env={},
                          providers={"wire": wire_settings(server.url)}) as client, \
            pytest.raises(ModelplexError) as info:
        consume(client, answer)
    assert find_secrets(info.value, SECRETS) == []


def test_the_token_of_a_credential_header_is_masked_alone_too() -> None:
    token = "dXNlcjpwYXNzd29yZC05OTE="  # base64, shaped like no provider's key
    ProviderSettings(name="p", plugin="p", headers={"Proxy-Authorization": f"Basic {token}"})
    err = ResponseParseError(f"the proxy said: bad credentials {token}", provider="p")
    assert find_secrets(err, (token,)) == []


def test_a_record_an_error_holds_keeps_its_class_with_its_secrets_masked() -> None:
    """An error whose attribute holds a record (an attrs class, or one of the dataclasses discovery
    builds: ``PluginFailure``, ``ProviderInfo``...) gets the record back, rebuilt with its strings
    scrubbed, rather than a string of its repr."""
    from modelplex._plugins import PluginFailure

    modelplex.Secret(KEY)  # a key a client holds: known to the scrubber
    err = ResponseParseError("bad", provider="p", model="m")
    err.failure = PluginFailure(name="p", kind="load", reason=f"echoed {KEY}")  # type: ignore[attr-defined]
    err.info = modelplex.ProviderInfo(spec_version=SPEC_VERSION, description="plain")  # type: ignore[attr-defined]
    info = err.info  # type: ignore[attr-defined]
    assert translate(err, "p", "m", "p") is err
    failure = err.failure  # type: ignore[attr-defined]
    assert type(failure) is PluginFailure and failure.name == "p" and KEY not in failure.reason
    assert err.info is info  # type: ignore[attr-defined]  # nothing to mask: the same object
    assert find_secrets(err, SECRETS) == []
