"""Validation before any request, end to end (issue 11, item 3): bad input given to the public
``AsyncClient`` is refused with an ``InvalidRequestError`` naming the field, and no request reaches the
server; a provider's own ranges (Anthropic's temperature up to 1) refuse or warn per provider.

The installed plugins are registered by hand (``plugins=...``) and talk to the test kit's
scripted OpenAI-compatible server on 127.0.0.1, so every byte that would be sent is seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest

import modelplex
from modelplex import Message, TextPart
from modelplex.errors import InvalidRequestError, ToolSchemaError, UnknownModelError
from modelplex_testing import serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "sk-validation-e2e-0123456789abcdef"
WHOLE = {"id": "r", "model": "gpt-4o-mini", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi there"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
EMBEDDED = {"object": "list", "data": [{"index": 0, "embedding": [0.0, 1.0]}], "model": "e",
            "usage": {"prompt_tokens": 1, "total_tokens": 1}}
HISTORY = [Message.user("a"), Message.assistant("b"), Message.user("c")]


def _installed(name: str) -> object:
    """The plugin object the ``name`` entry point names, as discovery would load it."""
    (point,) = entry_points(group="modelplex.plugins", name=name)
    return point.load()


def _client(server: ScriptedServer, api: str = "chat_completions") -> modelplex.AsyncClient:
    return modelplex.AsyncClient(
        plugins={"openai": _installed("openai"), "anthropic": _installed("anthropic")}, autoload=False,
        config_file=False, env={},
        providers={"openai": {"base_url": server.url, "api_key": KEY, "api": api},
                   # Anthropic's base URL has no /v1 (the server's `url` is OpenAI-shaped, with it)
                   "anthropic": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}})


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


@pytest.fixture(scope="module")
def untouched() -> Iterator[ScriptedServer]:
    """One server for every refused call (a server takes half a second to stop): each test checks
    that it still has no request, so the first to send one fails."""
    with ScriptedServer([Reply.json(WHOLE), Reply.json(EMBEDDED)]) as server:
        yield server
        assert server.requests == []


# (arguments of chat/stream after the client, the error class, the field it names)
BAD_CHATS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"model": None}, InvalidRequestError, "model"),
    ({"model": 123}, InvalidRequestError, "model"),
    ({"model": "gpt-4o"}, UnknownModelError, "gpt-4o"),
    ({"messages": None}, InvalidRequestError, "messages"),
    ({"messages": []}, InvalidRequestError, "messages"),
    ({"messages": [Message.user(())]}, InvalidRequestError, "messages[0].parts"),
    ({"messages": [Message(role="bot", parts="Hi")]}, InvalidRequestError, "messages[0].role"),
    ({"messages": [*HISTORY, Message.user([TextPart(text=None)])]}, InvalidRequestError,
     "messages[3].parts[0].text"),
    ({"system": 5}, InvalidRequestError, "system"),
    ({"temperature": float("nan")}, InvalidRequestError, "temperature"),
    ({"temperature": -1}, InvalidRequestError, "temperature"),
    ({"temperature": "hot"}, InvalidRequestError, "temperature"),
    ({"top_p": 2}, InvalidRequestError, "top_p"),
    ({"max_tokens": 0}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": -1}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": 10**12}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": "100"}, InvalidRequestError, "max_tokens"),
    ({"stop": 123}, InvalidRequestError, "stop"),
    ({"extra": "x"}, InvalidRequestError, "extra"),
    ({"tools": [{"name": "lookup"}, {"name": "lookup"}]}, InvalidRequestError, "tools[1].name"),
    ({"tools": [{"name": "lookup"}], "tool_choice": "search"}, InvalidRequestError, "tool_choice.name"),
    ({"tools": [{"name": "bad name"}]}, ToolSchemaError, "tools[0].name"),
    ({"temprature": 0.5}, InvalidRequestError, "temprature"),
]
IDS = [f"{i}-{f}" for i, (_, _, f) in enumerate(BAD_CHATS)]


def _field(error: Exception) -> str:
    return str(getattr(error, "field", None) or getattr(error, "model", ""))


async def _chat(client: modelplex.AsyncClient, call: dict[str, Any]) -> Any:
    args = {"model": "openai/gpt-4o-mini", "messages": "Hi", **call}
    return await client.chat(args.pop("model"), args.pop("messages"), **args)


async def _stream(client: modelplex.AsyncClient, call: dict[str, Any]) -> list[Any]:
    args = {"model": "openai/gpt-4o-mini", "messages": "Hi", **call}
    async with client.stream(args.pop("model"), args.pop("messages"), **args) as stream:
        return [event async for event in stream]


@pytest.mark.parametrize(("call", "error", "field"), BAD_CHATS, ids=IDS)
@pytest.mark.parametrize("api", ["chat_completions", "responses"])
def test_a_bad_chat_is_refused_and_nothing_is_sent(untouched: ScriptedServer, api: str,
                                                   call: dict[str, Any], error: type[Exception],
                                                   field: str) -> None:
    server = untouched

    async def run() -> None:
        async with _client(server, api) as client:
            with pytest.raises(error) as info:
                await _chat(client, call)
            assert type(info.value) is error and _field(info.value) == field
    asyncio.run(run())
    assert server.requests == []


@pytest.mark.parametrize(("call", "error", "field"), BAD_CHATS, ids=IDS)
def test_a_bad_stream_is_refused_and_nothing_is_sent(untouched: ScriptedServer, call: dict[str, Any],
                                                     error: type[Exception], field: str) -> None:
    server = untouched

    async def run() -> None:
        async with _client(server) as client:
            with pytest.raises(error) as info:
                await _stream(client, call)
            assert type(info.value) is error and _field(info.value) == field
    asyncio.run(run())
    assert server.requests == []


@pytest.mark.parametrize(("inputs", "options", "field"), [
    ([], {}, "inputs"),
    (["a", None], {}, "inputs[1]"),
    (None, {}, "inputs"),
    (["a"], {"dimensions": 0}, "dimensions"),
    (["a"], {"dimensions": "256"}, "dimensions"),
])
def test_a_bad_embedding_request_is_refused_and_nothing_is_sent(untouched: ScriptedServer, inputs: Any,
                                                                options: dict[str, Any], field: str) -> None:
    server = untouched

    async def run() -> None:
        async with _client(server) as client:
            with pytest.raises(InvalidRequestError) as info:
                await client.embed("openai/text-embedding-3-small", inputs, **options)
            assert info.value.field == field
    asyncio.run(run())
    assert server.requests == []


def test_the_same_server_answers_a_good_call(serve: Any) -> None:
    """The servers above saw nothing because of the checks, not because nothing could reach them."""
    server = serve(Reply.json(WHOLE), Reply.json(EMBEDDED))

    async def run() -> None:
        async with _client(server) as client:
            response = await client.chat("openai/gpt-4o-mini", [*HISTORY], system="Be brief",
                                         temperature=1.5, max_tokens=100, stop="END",
                                         tools=[{"name": "lookup"}], tool_choice="lookup")
            assert response.text == "Hi there" and response.warnings == ()
            embedded = await client.embed("openai/text-embedding-3-small", "a text")
            assert embedded.vectors == ((0.0, 1.0),)
    asyncio.run(run())
    sent = server.requests[0].json
    assert (sent["temperature"], sent["max_completion_tokens"]) == (1.5, 100)
    assert len(server.requests) == 2


def test_anthropic_refuses_a_temperature_above_one_before_sending(untouched: ScriptedServer) -> None:
    server = untouched

    async def run() -> None:
        async with _client(server) as client:
            with pytest.raises(InvalidRequestError) as info:
                await client.chat("anthropic/claude-sonnet-4-5", "Hi", temperature=1.5)
            exc = info.value
            assert (exc.field, exc.provider, exc.model) == ("temperature", "anthropic", "claude-sonnet-4-5")
            assert "anthropic takes 0 to 1, got 1.5" in str(exc)
    asyncio.run(run())
    assert server.requests == []


def test_a_max_tokens_above_the_providers_largest_output_is_sent_with_a_warning(serve: Any) -> None:
    server = serve(Reply.json(WHOLE))

    async def run() -> modelplex.ChatResponse:
        async with _client(server) as client:
            return await client.chat("openai/gpt-4o-mini", "Hi", max_tokens=500_000)
    response = asyncio.run(run())
    assert [(w.code, w.field) for w in response.warnings] == [("above-known-limit", "max_tokens")]
    assert server.requests[0].json["max_completion_tokens"] == 500_000


@pytest.mark.parametrize(("plugin", "ranges", "limits"), [
    ("anthropic", {"temperature": (0, 1)}, {"max_tokens": 128_000}),
    ("openai", {"temperature": (0, 2)}, {"max_tokens": 128_000}),
    ("gemini", {"temperature": (0, 2)}, {"max_tokens": 65_536}),
])
def test_the_main_providers_declare_their_ranges(plugin: str, ranges: dict[str, Any],
                                                 limits: dict[str, Any]) -> None:
    info = _installed(plugin).modelplex_provider_info()  # type: ignore[attr-defined]
    assert (dict(info.option_ranges), dict(info.option_limits)) == (ranges, limits)
