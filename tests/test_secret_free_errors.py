"""No credential reachable from an error of the openai, anthropic or gemini plugin (issue 11, item 2).

Each plugin, through the real client, against a loopback server that quotes every request header
back in its answers (``modelplex_testing.echo_server``): a refused connection, a connection reset
half-way through the body, a 401 and a malformed 200 that echo the key, and streams that break or
carry a malformed event. Each plugin sends its key its own way (``Authorization: Bearer``,
``x-api-key``, ``x-goog-api-key``); every call also carries a token in a credential-named header of the
``headers`` setting and one in a header ``secret_headers`` marks. :func:`find_secrets` looks through the
error's str, repr, args and attributes along its whole ``__cause__``/``__context__`` chain.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

import modelplex
from modelplex.errors import (
    AuthenticationError,
    ModelplexError,
    ProviderError,
    ResponseParseError,
    TransportError,
)
from modelplex_testing.echo_server import EchoServer
from modelplex_testing.secret_walk import find_secrets

KEYS = {"openai": "sk-proj-OPENAI-FAKE-e2f81c7a93d0b46a", "anthropic": "sk-ant-api03-FAKE-c3b1a29e7d54f608",
        "gemini": "AIzaFAKE-GEMINI-0b7e42d9c18a5f36aa"}
TOKEN = "hdr-token-VALUE-81c4e2a9"
CUSTOM = "custom-hdr-VALUE-3b7d10fe"
PLUGINS = sorted(KEYS)
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash"}


@pytest.fixture
def echo() -> Iterator[Any]:
    started: list[EchoServer] = []

    def start(answers: list[str]) -> EchoServer:
        started.append(EchoServer(answers).__enter__())
        return started[-1]

    yield start
    for server in started:
        server.__exit__(None, None, None)


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


async def failure(plugin: str, url: str, *, stream: bool = False) -> ModelplexError:
    settings = {"api_key": KEYS[plugin], "base_url": url, "secret_headers": ["X-Custom"],
                "headers": {"X-Auth-Token": TOKEN, "X-Custom": CUSTOM}}
    async with modelplex.AsyncClient(providers={plugin: settings}, config_file=False, env={}) as client:
        try:
            if stream:
                async with client.stream(f"{plugin}/{MODELS[plugin]}", "hi") as s:
                    async for _ in s:
                        pass
            else:
                await client.chat(f"{plugin}/{MODELS[plugin]}", "hi")
        except ModelplexError as err:
            return err
    raise AssertionError("the call should have failed")


def secrets(plugin: str) -> tuple[str, ...]:
    return KEYS[plugin], TOKEN, CUSTOM


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_refused_connection(plugin: str) -> None:
    url = refused_url()
    err = asyncio.run(failure(plugin, url))
    assert isinstance(err, TransportError)
    assert find_secrets(err, secrets(plugin)) == []
    assert "127.0.0.1" in str(err), "what a person debugging needs stays"


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize(("answer", "kind"), [("401", AuthenticationError), ("malformed", ResponseParseError),
                                              ("reset", TransportError)])
def test_an_answer_that_echoes_the_credentials(echo: Any, plugin: str, answer: str,
                                               kind: type[ModelplexError]) -> None:
    server = echo([answer])
    err = asyncio.run(failure(plugin, server.url))
    sent = " ".join(server.received[0].values())
    assert KEYS[plugin] in sent and TOKEN in sent and CUSTOM in sent, "the server saw them all"
    assert isinstance(err, kind)
    assert find_secrets(err, secrets(plugin)) == []


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("answer", ["stream-malformed", "stream-cut", "401", "reset"])
def test_a_stream_that_fails(echo: Any, plugin: str, answer: str) -> None:
    server = echo([answer])
    err = asyncio.run(failure(plugin, server.url, stream=True))
    assert isinstance(err, ProviderError)
    assert find_secrets(err, secrets(plugin)) == []
