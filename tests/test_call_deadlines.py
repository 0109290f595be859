"""The call path's one deadline mechanism on the loopback wire (issue 11, item 1).

``deadline`` bounds the whole call, a stream's reading included: a server that sends text forever is
stopped at it, in every wire format, direct and through a chain. ``call_timeout`` bounds the wait for
a stream's first event *from the provider*: a plugin's own warning is not one, so a server that sends
only SSE keep-alive comments after it times out. Both ran on forever before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import modelplex
from modelplex import AsyncClient, ProviderWarning, TextDelta, WarningRaised
from modelplex.errors import RequestTimeoutError, RoutingError
from modelplex.hookspecs import SPEC_VERSION, hookimpl


def _sse(data: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


# What each format streams: (content type, opening events, the event sent again and again).
FORMATS: dict[str, tuple[str, list[bytes], bytes]] = {
    "openai": ("text/event-stream", [], _sse({
        "id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]})),
    "anthropic": ("text/event-stream", [
        _sse({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [],
            "stop_reason": None, "usage": {"input_tokens": 1, "output_tokens": 0}}}, "message_start"),
        _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
             "content_block_start")],
        _sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
             "content_block_delta")),
    "gemini": ("text/event-stream", [], _sse({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}, "index": 0}]})),
    "ollama": ("application/x-ndjson", [], json.dumps({
        "model": "m", "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "x"}, "done": False}).encode() + b"\n"),
    "keep-alive": ("text/event-stream", [], b": keep-alive\n\n"),
}
PROVIDERS = {"openai": "groq", "anthropic": "anthropic", "gemini": "gemini", "ollama": "ollama"}


class Endless:
    """A loopback HTTP server whose every answer is a stream in ``fmt`` that never ends (one event
    every ``every`` seconds), in this test's event loop. ``requests`` counts what came in."""

    def __init__(self, fmt: str, every: float = 0.02) -> None:
        self.fmt, self.every = fmt, every
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Endless:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            self.requests += 1
            kind, opening, again = FORMATS[self.fmt]
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nTransfer-Encoding: chunked\r\n\r\n"
                         .encode())
            for chunk in itertools.chain(opening, itertools.repeat(again)):
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                await asyncio.sleep(self.every)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up (what a deadline does), or the test's loop is ending
        finally:
            writer.close()


def client(provider: str, url: str, *, call_timeout: float = 10.0, **kwargs: Any) -> AsyncClient:
    return AsyncClient(config_file=False, env={}, chains={"x": [f"{provider}/m"]},
                       providers={provider: {"api_key": "sk-test-0000", "base_url": url,
                                             "call_timeout": call_timeout}}, **kwargs)


async def read(c: AsyncClient, address: str, seen: list[modelplex.StreamEvent]) -> None:
    async with c.stream(address, "hi") as stream:
        async for event in stream:
            seen.append(event)


@pytest.mark.parametrize("via", ["direct", "chain"])
@pytest.mark.parametrize("fmt", sorted(PROVIDERS))
def test_a_stream_that_sends_text_forever_stops_at_the_deadline(fmt: str, via: str) -> None:
    provider = PROVIDERS[fmt]

    async def main() -> tuple[float, int]:
        async with Endless(fmt) as server, client(provider, server.url,
                                                  routing={"deadline": 1.0, "retries": 0}) as c:
            seen: list[modelplex.StreamEvent] = []
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError, match=r"deadline \(1s\)") as info:
                await read(c, f"{provider}/m" if via == "direct" else "chain/x", seen)
            assert info.value.trace is not None and info.value.trace.attempts[-1].error_type == \
                "RequestTimeoutError"
            return time.monotonic() - started, sum(isinstance(e, TextDelta) for e in seen)

    elapsed, texts = asyncio.run(main())
    assert texts > 5  # it was streaming, and was stopped in the middle of it
    assert 0.9 <= elapsed < 3.0


class WarnsThenReads:
    """A plugin that warns (as a plugin does of an option it could not send) and then reads an SSE
    stream from the server, one text event per ``data:`` line."""

    @hookimpl
    def modelplex_provider_info(self) -> modelplex.ProviderInfo:
        return modelplex.ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat_stream(self, ctx: modelplex.ProviderContext, request: Any) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async with ctx.http.stream("POST", f"{ctx.settings.base_url}/stream", json={}) as response:
                async def events() -> AsyncIterator[modelplex.StreamEvent]:
                    yield WarningRaised(warning=ProviderWarning(code="unsupported-setting", message="seed"))
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            yield TextDelta(text=line[5:])
                yield events()
        return opened()


@pytest.mark.parametrize("via", ["direct", "chain"])
def test_keep_alives_after_a_plugins_warning_time_out_at_the_call_timeout(via: str) -> None:
    async def main() -> tuple[float, list[modelplex.StreamEvent]]:
        async with Endless("keep-alive") as server:
            c = AsyncClient(plugins={"p": WarnsThenReads()}, autoload=False, config_file=False, env={},
                            providers={"p": {"base_url": server.url, "call_timeout": 0.5}},
                            chains={"x": {"models": ["p/m"], "retries": 0}})
            seen: list[modelplex.StreamEvent] = []
            started = time.monotonic()
            async with c:
                # A chain's one model timed out, so the chain has no answer: its error says why.
                expected = RequestTimeoutError if via == "direct" else RoutingError
                with pytest.raises(expected, match=r"call timeout \(0\.5s\)"):
                    await read(c, "p/m" if via == "direct" else "chain/x", seen)
            assert server.requests == 1
            return time.monotonic() - started, seen

    elapsed, seen = asyncio.run(main())
    assert seen == []  # the warning is held with the stream, which never started
    assert 0.45 <= elapsed < 2.0
