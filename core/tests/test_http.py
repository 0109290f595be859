"""The HTTP client each provider gets: httpx's API on aiohttp's engine, with httpx's exceptions."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from modelplex import ProviderSettings
from modelplex._http import AiohttpClient, Transport, build, post_json


def settings(**kwargs: object) -> ProviderSettings:
    return ProviderSettings(name="p", plugin="p", **kwargs)  # type: ignore[arg-type]


class LoopbackServer:
    """A server on 127.0.0.1 that hands each connection to :meth:`handle`, until its socket closes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError


class RawServer(LoopbackServer):
    """Answers every connection with fixed bytes, then closes it."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
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
        assert type(client) is httpx.AsyncClient and client._transport.inner is mock  # marked as it sends
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


# -- post_json: the lean way for JSON requests read whole ----------------------------------------------
class CaptureServer(LoopbackServer):
    """An HTTP/1.1 server that keeps each request (head lines and body) and answers each with
    ``answer(index)``, keeping the connection open as a real server does."""

    def __init__(self, answer: Callable[[int], bytes]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                first, *lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.requests.append((first, headers, body))
                conn.sendall(self.answer(len(self.requests) - 1))


def ok(body: bytes = b'{"ok": true}', *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in ("HTTP/1.1 200 OK", "content-type: application/json",
                                               f"content-length: {len(body)}", *extra))
    return head.encode() + b"\r\n" + body


@pytest.fixture
def capture() -> Iterator[Callable[[Callable[[int], bytes]], CaptureServer]]:
    made: list[CaptureServer] = []

    def make(answer: Callable[[int], bytes]) -> CaptureServer:
        made.append(CaptureServer(answer))
        return made[-1]

    yield make
    for server in made:
        server.sock.close()


BODY = {"model": "m", "messages": [{"role": "user", "content": "héllo ✓"}], "n": 1.5, "ok": None}


def test_post_json_sends_and_reads_what_httpx_post_does(capture: Callable[..., CaptureServer]) -> None:
    server = capture(lambda i: ok(b'{"answer": "\xc3\xa9"}', "x-request-id: r1"))
    headers = {"Authorization": "Bearer sk-test", "Accept": "application/json"}

    async def go() -> tuple[httpx.Response, httpx.Response]:
        client = build(settings(headers={"X-Configured": "yes"}))
        try:
            plain = await client.post(f"{server.url}/v1/chat", json=BODY, headers=headers)
            lean = await post_json(client, f"{server.url}/v1/chat", BODY, headers)
            return plain, lean
        finally:
            await client.aclose()
    plain, lean = asyncio.run(go())
    (line_a, head_a, body_a), (line_b, head_b, body_b) = server.requests
    assert line_a == line_b == "POST /v1/chat HTTP/1.1"
    assert body_a == body_b and json.loads(body_b) == BODY
    assert head_a == head_b  # every header, the client's defaults and configured ones included
    assert head_b["x-configured"] == "yes" and head_b["accept"] == "application/json"
    assert (lean.status_code, lean.json(), lean.headers["x-request-id"], lean.reason_phrase) == (
        plain.status_code, plain.json(), plain.headers["x-request-id"], plain.reason_phrase)
    assert lean.json() == {"answer": "é"} and str(lean.request.url) == f"{server.url}/v1/chat"


def test_post_json_reads_a_compressed_answer(capture: Callable[..., CaptureServer]) -> None:
    packed = gzip.compress(b'{"zipped": true}')
    server = capture(lambda i: ok(packed, "content-encoding: gzip"))

    async def go() -> httpx.Response:
        client = build(settings())
        try:
            return await post_json(client, server.url, {}, {})
        finally:
            await client.aclose()
    assert asyncio.run(go()).json() == {"zipped": True}


def test_post_json_keeps_cookies_and_sends_them_back(capture: Callable[..., CaptureServer]) -> None:
    server = capture(lambda i: ok(b"{}", "set-cookie: lb=node-7; Path=/") if i == 0 else ok())

    async def go() -> None:
        client = build(settings())
        try:
            await post_json(client, server.url, {}, {})
            await post_json(client, server.url, {}, {})  # through httpx now: it has a cookie to send
        finally:
            await client.aclose()
    asyncio.run(go())
    assert "cookie" not in server.requests[0][1] and server.requests[1][1]["cookie"] == "lb=node-7"


def test_post_json_leaves_to_httpx_what_only_httpx_does(capture: Callable[..., CaptureServer],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server = capture(lambda i: ok())
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.method)

    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"mock": True}))

    async def go() -> None:
        client = build(settings())
        client.event_hooks["request"].append(hook)  # an event hook only httpx's path calls
        assert (await post_json(client, server.url, {}, {})).json() == {"ok": True}
        await client.aclose()
        tested = build(settings(transport=mock))  # a test transport: httpx's path, to the mock
        assert (await post_json(tested, "http://x/", {}, {})).json() == {"mock": True}
        await tested.aclose()
    asyncio.run(go())
    assert hooked == ["POST"]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert build(settings())._proxied  # a proxy from the environment: httpx picks the transport


def test_post_json_failures_are_httpx_errors(raw_server: Serve) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/"
    cut = raw_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"partial\"")
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does), never answers

    async def go() -> None:
        client = build(settings(read_timeout=0.3))
        try:
            with pytest.raises(httpx.ConnectError):
                await post_json(client, refused, {}, {})
            with pytest.raises(httpx.TransportError):
                await post_json(client, cut.url, {}, {})
            with pytest.raises(httpx.ReadTimeout):
                await post_json(client, f"http://127.0.0.1:{silent.getsockname()[1]}/", {}, {})
        finally:
            await client.aclose()
    try:
        asyncio.run(go())
    finally:
        silent.close()
