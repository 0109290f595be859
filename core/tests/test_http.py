"""The HTTP client each provider gets: httpx's API on aiohttp's engine, with httpx's exceptions."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from modelplex import ProviderSettings
from modelplex._http import AiohttpClient, Transport, build


def settings(**kwargs: object) -> ProviderSettings:
    return ProviderSettings(name="p", plugin="p", **kwargs)  # type: ignore[arg-type]


class RawServer:
    """A loopback server that answers every connection with fixed bytes, then closes it."""

    def __init__(self, answer: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self.answer)


Serve = Callable[[bytes], RawServer]


@pytest.fixture
def raw_server() -> Iterator[Serve]:
    made: list[RawServer] = []

    def make(answer: bytes) -> RawServer:
        made.append(RawServer(answer))
        return made[-1]

    yield make
    for server in made:
        server.sock.close()


def test_without_a_transport_the_client_runs_on_aiohttp() -> None:
    async def go() -> None:
        client = build(settings())
        assert isinstance(client, AiohttpClient) and isinstance(client._transport, Transport)
        await client.aclose()
    asyncio.run(go())


def test_a_configured_transport_is_used_as_given() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))

    async def go() -> None:
        client = build(settings(transport=mock))
        assert type(client) is httpx.AsyncClient and client._transport is mock
        assert (await client.get("http://x/")).json() == {"ok": True}
        await client.aclose()
    asyncio.run(go())


def test_a_refused_connection_is_httpx_connect_error_not_a_timeout() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed

    async def go() -> None:
        client = build(settings())
        try:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")
        finally:
            await client.aclose()
    asyncio.run(go())


async def read_into(got: list[bytes], response: httpx.Response) -> None:
    async for chunk in response.aiter_bytes():
        got.append(chunk)


def test_a_body_cut_short_gives_what_arrived_then_a_transport_error(raw_server: Serve) -> None:
    server = raw_server(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n6\r\n world\r\n")
    got: list[bytes] = []

    async def go() -> None:
        client = build(settings())
        try:
            async with client.stream("GET", server.url) as response:
                with pytest.raises(httpx.TransportError):
                    await read_into(got, response)
        finally:
            await client.aclose()
    asyncio.run(go())
    assert b"".join(got) == b"hello world"


def test_cookies_a_response_sets_are_kept(raw_server: Serve) -> None:
    server = raw_server(b"HTTP/1.1 200 OK\r\nset-cookie: session=abc; Path=/\r\ncontent-length: 2\r\n"
                        b"connection: close\r\n\r\nok")

    async def go() -> None:
        client = build(settings())
        try:
            response = await client.get(server.url)
            assert response.text == "ok" and client.cookies.get("session") == "abc"
        finally:
            await client.aclose()
    asyncio.run(go())
