"""A plugin that fails before sending is blamed on the request, one that fails on what came back on the
response: the transport marks each attempt as it sends (``modelplex._sent``), on the direct branch, a
chain and a stream alike, over Modelplex's own transport and a test's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

import modelplex
from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    ProviderContext,
    ProviderInfo,
    TextDelta,
)
from modelplex.errors import RequestBuildError, ResponseParseError, RoutingError
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import Reply, ScriptedServer, serving


class Sloppy:
    """Sends one JSON request to the server at its base URL; raises ``KeyError`` before sending
    (``when="build"``) or after the reply arrived (``when="parse"``)."""

    def __init__(self, when: str) -> None:
        self.when = when

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def go() -> ChatResponse:
            body = self._body(request)
            reply = await ctx.post_json(f"{ctx.settings.base_url}/chat/completions", body, {})
            return self._parse(reply.json())
        return go()

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def go() -> AsyncIterator[AsyncIterator[Any]]:
            body = self._body(request)
            async with ctx.http.stream("POST", f"{ctx.settings.base_url}/chat/completions",
                                       json=body) as reply:
                await reply.aread()
                self._parse(reply.json())

                async def events() -> AsyncIterator[Any]:
                    yield TextDelta(text="x")
                    yield Finished(reason=FinishReason.STOP)
                yield events()
        return go()

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        if self.when == "build":
            return {}["messages"]  # type: ignore[no-any-return]  # the plugin's bug, before sending
        return {"model": request.model}

    def _parse(self, data: Any) -> ChatResponse:
        return data["no such field"]  # type: ignore[no-any-return]  # the plugin's bug, on the reply


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serving(lambda: ScriptedServer([Reply.json({"id": "r"})] * 8)) as start:
        yield start()


def client(server: ScriptedServer, when: str, transport: Any = None, **kwargs: Any) -> modelplex.AsyncClient:
    return modelplex.AsyncClient(plugins={"sloppy": Sloppy(when)}, autoload=False, config_file=False, env={},
                                 providers={"sloppy": {"base_url": server.url}}, transport=transport,
                                 **kwargs)


async def outcome(c: modelplex.AsyncClient, address: str, stream: bool) -> BaseException:
    try:
        if stream:
            async with c.stream(address, "hi") as s:
                await s.get_response()
        else:
            await c.chat(address, "hi")
    except Exception as exc:
        return exc
    finally:
        await c.aclose()
    raise AssertionError("the call should have failed")


def through_httpx() -> httpx.AsyncBaseTransport:
    """httpx's own transport: a test's transport is wrapped to mark its sends, like Modelplex's."""
    return httpx.AsyncHTTPTransport()


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("transport", [None, through_httpx], ids=["modelplex-transport", "test-transport"])
def test_a_failure_before_sending_names_the_request(server: ScriptedServer, stream: bool,
                                                    transport: Any) -> None:
    error = asyncio.run(outcome(client(server, "build", transport and transport()), "sloppy/m", stream))
    assert isinstance(error, RequestBuildError), error
    assert "while building the request (nothing was sent)" in str(error)
    assert "KeyError" in str(error) and "provider's response" not in str(error)
    assert (error.provider, error.model) == ("sloppy", "m")
    assert server.requests == []  # nothing reached the provider


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("transport", [None, through_httpx], ids=["modelplex-transport", "test-transport"])
def test_a_failure_on_the_reply_names_the_response(server: ScriptedServer, stream: bool,
                                                   transport: Any) -> None:
    error = asyncio.run(outcome(client(server, "parse", transport and transport()), "sloppy/m", stream))
    assert type(error) is ResponseParseError, error
    assert "failed on the provider's response" in str(error) and "KeyError" in str(error)
    assert len(server.requests) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_a_chain_names_the_request_in_its_trace(server: ScriptedServer, stream: bool) -> None:
    c = client(server, "build", chains={"c": ["sloppy/m"]})
    error = asyncio.run(outcome(c, "chain/c", stream))
    assert isinstance(error, RoutingError), error
    assert isinstance(error.__cause__, RequestBuildError)
    assert "while building the request" in str(error)
    assert server.requests == []


def test_a_marker_from_an_earlier_attempt_does_not_carry_over(server: ScriptedServer) -> None:
    """A sent request, then a failure before sending in the same task: the second is the request's."""
    async def go() -> tuple[BaseException, BaseException]:
        sent = client(server, "parse")
        built = client(server, "build")
        try:
            first = await outcome(sent, "sloppy/m", False)
            second = await outcome(built, "sloppy/m", False)
        finally:
            await sent.aclose()
            await built.aclose()
        return first, second

    first, second = asyncio.run(go())
    assert type(first) is ResponseParseError and isinstance(second, RequestBuildError)
