"""Size bounds: one event of a stream, one line of NDJSON and a whole reply, each stopped at the
provider's limit with an error naming the provider, the limit and the setting; gzip and deflate
inflated in bounded steps on the httpx path (test transports, and httpx's own off asyncio).

The memory each bound saves is measured end to end in ``tests/test_bounds.py`` (a loopback server,
every plugin, peak memory of a process of its own); here are the rules, byte by byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any

import anyio
import httpx
import pytest

from modelplex import ProviderSettings
from modelplex._bounds import EXTENSION, Bounds
from modelplex._config import Settings
from modelplex._http import AiohttpClient
from modelplex._inflate import PIECE, codings, inflate_whole
from modelplex._provider import ProviderContext
from modelplex.errors import ConfigurationError, ResponseParseError
from modelplex.toolkit.ndjson import LineTooLargeError, NDJSONDecoder, ndjson_stream
from modelplex.toolkit.sse import EventTooLargeError, SSEDecoder, SSEEvent
from modelplex.toolkit.stream import sse_stream
from modelplex_testing.loopback import LoopbackServer

MIB = 1024 * 1024


# -- the decoders ------------------------------------------------------------------------------------
def feed_all(decoder: SSEDecoder, chunks: Iterable[bytes]) -> list[SSEEvent]:
    out: list[SSEEvent] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + decoder.close()


def test_an_endless_sse_line_stops_once_past_the_bound() -> None:
    decoder = SSEDecoder(max_event=1000)
    decoder.feed(b"data: " + b"a" * 900)
    decoder.feed(b"a" * 94)  # 1,000 characters held: at the bound, not past it
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"a")


def test_an_sse_event_of_many_lines_counts_them_all() -> None:
    decoder = SSEDecoder(max_event=1000)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"".join(b"data: %s\n" % (b"x" * 99) for _ in range(11)))


def test_a_whole_sse_event_past_the_bound_in_one_chunk_is_refused() -> None:
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event=1000).feed(b"data: " + b"a" * 1001 + b"\n\n")


def test_a_long_sse_comment_line_is_refused_too() -> None:
    with pytest.raises(EventTooLargeError):
        SSEDecoder(max_event=1000).feed(b": " + b"a" * 1001 + b"\n")


def test_sse_events_within_the_bound_decode_as_without_one() -> None:
    body = b"".join(b"event: e\ndata: %s\ndata: %s\n\n" % (b"x" * 400, b"y" * 590) for _ in range(50))
    chunks = [body[i:i + 37] for i in range(0, len(body), 37)]
    bounded = feed_all(SSEDecoder(max_event=1000), chunks)
    assert bounded == feed_all(SSEDecoder(), chunks)
    assert len(bounded) == 50 and bounded[0].data == "x" * 400 + "\n" + "y" * 590


def test_the_sse_bound_is_per_event_not_per_stream() -> None:
    decoder = SSEDecoder(max_event=1000)
    events = feed_all(decoder, [b"data: %s\n\n" % (b"z" * 900)] * 100)  # 90 kB in all
    assert len(events) == 100


def test_an_endless_ndjson_line_stops_once_past_the_bound() -> None:
    decoder = NDJSONDecoder(max_line=1000)
    decoder.feed(b'{"a": "' + b"a" * 900)
    with pytest.raises(LineTooLargeError):
        decoder.feed(b"a" * 100 + b'"}\n')


def test_a_whole_ndjson_line_past_the_bound_in_one_chunk_is_refused() -> None:
    with pytest.raises(LineTooLargeError):
        NDJSONDecoder(max_line=1000).feed(b'{"n": 1}\n{"a": "' + b"a" * 1000 + b'"}\n{"n": 2}\n')


def test_ndjson_lines_within_the_bound_decode_as_without_one() -> None:
    body = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"p" * 900) for i in range(40))
    bounded, plain = NDJSONDecoder(max_line=1000), NDJSONDecoder()
    got: list[Any] = []
    want: list[Any] = []
    for i in range(0, len(body), 53):
        got += bounded.feed(body[i:i + 53])
        want += plain.feed(body[i:i + 53])
    assert got == want and [v["n"] for v in got] == list(range(40))


# -- the stream readers name the provider and the setting ------------------------------------------
class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def bounded_response(chunks: Iterable[bytes], bounds: Bounds) -> httpx.Response:
    return httpx.Response(200, stream=_Body(chunks), extensions={EXTENSION: bounds})


class _Collect:
    done = False

    def event(self, sse: SSEEvent) -> list[str]:
        return [sse.data]

    def end(self, broken: Exception | None, pending: bool) -> list[str]:
        return []


def test_sse_stream_refuses_an_event_past_the_providers_bound() -> None:
    bounds = Bounds(provider="acme", max_event_bytes=4096)
    response = bounded_response([b"data: ok\n\n"] + [b"data: " + b"a" * 1000] * 10, bounds)

    async def go() -> list[str]:
        return [item async for item in sse_stream(response, _Collect())]

    with pytest.raises(ResponseParseError) as caught:
        anyio.run(go)
    message = str(caught.value)
    assert caught.value.provider == "acme"
    assert "4,096 bytes" in message and "'max_event_bytes'" in message


def test_ndjson_stream_refuses_a_line_past_the_providers_bound() -> None:
    bounds = Bounds(provider="acme", max_event_bytes=4096)
    response = bounded_response([b'{"n": 1}\n'] + [b"a" * 1000] * 10, bounds)
    got: list[Any] = []

    async def go() -> None:
        async for item in ndjson_stream(response, provider="acme", model="m"):
            got.append(item)

    with pytest.raises(ResponseParseError) as caught:
        anyio.run(go)
    assert got == [{"n": 1}]
    assert caught.value.provider == "acme" and caught.value.model == "m"
    assert "4,096 bytes" in str(caught.value) and "'max_event_bytes'" in str(caught.value)


# -- the httpx path: a test transport under the client ----------------------------------------------
def context(handler: Any, **settings: Any) -> ProviderContext:
    return ProviderContext(ProviderSettings(name="acme", plugin="p", base_url="http://test",
                                            transport=httpx.MockTransport(handler), **settings))


def encoded(body: bytes, coding: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-encoding": coding, "content-type": "application/json"},
                          stream=_Body([body[i:i + 4096] for i in range(0, len(body), 4096)]))


def bomb(size: int) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join([z.compress(b'{"a": "'), *(z.compress(b"a" * MIB) for _ in range(size // MIB)),
                     z.flush()])


def test_a_gzip_bomb_read_whole_is_refused_at_the_limit() -> None:
    ctx = context(lambda request: encoded(bomb(64 * MIB), "gzip"), max_response_bytes=8 * MIB)

    async def go() -> None:
        try:
            await ctx.post_json("http://test/v1/chat", {}, {})
        finally:
            await ctx.aclose()

    with pytest.raises(ResponseParseError) as caught:
        anyio.run(go)
    assert caught.value.provider == "acme"
    assert "8,388,608 bytes" in str(caught.value) and "'max_response_bytes'" in str(caught.value)


def test_a_gzip_bomb_streamed_arrives_in_bounded_pieces() -> None:
    """Without steps, one 4 KiB chunk of the bomb inflates to 4 MiB at once."""
    ctx = context(lambda request: encoded(bomb(64 * MIB), "gzip"))
    sizes: list[int] = []

    async def go() -> None:
        async with ctx.http.stream("POST", "http://test/v1/chat", json={}) as response:
            async for piece in response.aiter_bytes():
                sizes.append(len(piece))
                if sum(sizes) > 32 * MIB:
                    break
        await ctx.aclose()

    anyio.run(go)
    assert sum(sizes) > 32 * MIB and max(sizes) <= PIECE


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "raw deflate", "gzip, deflate"])
def test_a_real_reply_in_each_coding_decodes_whole(coding: str) -> None:
    document = {"text": "héllo " * 50_000, "n": list(range(1000))}
    plain = json.dumps(document).encode()
    if coding == "raw deflate":
        z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, header = z.compress(plain) + z.flush(), "deflate"
    elif coding == "gzip, deflate":
        body, header = zlib.compress(gzip.compress(plain)), coding
    else:
        body, header = (gzip.compress(plain) if "gzip" in coding else zlib.compress(plain)), coding
    ctx = context(lambda request: encoded(body, header))

    async def go() -> httpx.Response:
        try:
            return await ctx.post_json("http://test/v1/chat", {}, {})
        finally:
            await ctx.aclose()

    response = anyio.run(go)
    assert response.json() == document
    assert "content-encoding" not in response.headers  # the body handed on is the decoded one


def test_a_coding_not_ours_is_left_as_httpx_leaves_it() -> None:
    ctx = context(lambda request: encoded(b"not really brotli", "br"))

    async def go() -> httpx.Response:
        try:
            return await ctx.post_json("http://test/v1/chat", {}, {})
        finally:
            await ctx.aclose()

    response = anyio.run(go)
    assert response.headers["content-encoding"] == "br" and response.content == b"not really brotli"


def test_a_corrupt_gzip_body_is_httpx_decoding_error() -> None:
    ctx = context(lambda request: encoded(b"this is not gzip at all", "gzip"))

    async def go() -> None:
        try:
            await ctx.post_json("http://test/v1/chat", {}, {})
        finally:
            await ctx.aclose()

    with pytest.raises(httpx.DecodingError):
        anyio.run(go)


def test_the_client_asks_only_for_the_codings_it_bounds() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return httpx.Response(200, json={})

    ctx = context(handler)

    async def go() -> None:
        await ctx.post_json("http://test/v1/chat", {}, {})
        await ctx.aclose()

    anyio.run(go)
    assert seen == ["gzip, deflate"]


# -- the settings ----------------------------------------------------------------------------------
def resolve(table: dict[str, Any]) -> ProviderSettings:
    from modelplex import ProviderInfo
    from modelplex.hookspecs import SPEC_VERSION

    return Settings({"acme": {"plugin": "p", **table}}, {}, {}).resolve(
        "acme", ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False))


def test_the_limits_are_provider_settings_with_defaults() -> None:
    default = resolve({})
    assert (default.max_response_bytes, default.max_event_bytes) == (128 * MIB, 16 * MIB)
    raised = resolve({"max_response_bytes": 512 * MIB, "max_event_bytes": 64 * MIB})
    assert (raised.max_response_bytes, raised.max_event_bytes) == (512 * MIB, 64 * MIB)
    assert "max_response_bytes" not in raised.options  # a setting of the core, not a plugin option
    assert "max_event_bytes=67108864" in repr(raised)


@pytest.mark.parametrize("value", [0, -1, 1.5, "64MiB", True])
def test_a_limit_must_be_a_positive_whole_number_of_bytes(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_event_bytes"):
        resolve({"max_event_bytes": value})


# -- the aiohttp path: a whole reply read by post_json ----------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "deflate", "gzip, deflate"])
def test_a_whole_reply_inflates_to_exactly_the_limit_and_no_further(coding: str) -> None:
    plain = bytes(range(256)) * (12 * 1024)  # 3 MiB: several steps
    body = gzip.compress(plain) if coding == "gzip" else zlib.compress(plain)
    if coding == "gzip, deflate":
        body = zlib.compress(gzip.compress(plain))
    names = codings(coding)
    assert names is not None
    assert inflate_whole(body, names, Bounds(provider="acme", max_response_bytes=len(plain))) == plain
    with pytest.raises(ResponseParseError, match="max_response_bytes"):
        inflate_whole(body, names, Bounds(provider="acme", max_response_bytes=len(plain) - 1))


class _Replies(LoopbackServer):
    """Answers every POST with ``body`` and ``headers`` (its length declared unless ``length=False``)."""

    def __init__(self, body: bytes, headers: dict[str, str], *, length: bool = True) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                if length:
                    self.send_header("content-length", str(len(body)))
                else:
                    self.send_header("connection", "close")
                    self.close_connection = True
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        super().__init__(Handler)


def post_on_aiohttp(server: _Replies, **settings: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        ctx = ProviderContext(ProviderSettings(name="acme", plugin="p", **settings))
        try:
            assert isinstance(ctx.http, AiohttpClient)
            return await ctx.post_json(f"{server.url}/v1/chat", {}, {})
        finally:
            await ctx.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("length", [True, False], ids=["declared", "until-close"])
def test_post_json_on_aiohttp_reads_a_large_gzip_reply_whole(length: bool) -> None:
    document = {"text": "x" * (3 * MIB), "n": list(range(10_000))}
    body = gzip.compress(json.dumps(document).encode())
    with _Replies(body, {"content-encoding": "gzip", "content-type": "application/json"},
                  length=length) as server:
        response = post_on_aiohttp(server)
    assert response.json() == document and "content-encoding" not in response.headers
    assert response.extensions[EXTENSION].provider == "acme"


@pytest.mark.parametrize("length", [True, False], ids=["declared", "until-close"])
def test_post_json_on_aiohttp_refuses_a_plain_reply_past_the_limit(length: bool) -> None:
    with _Replies(b"a" * (3 * MIB), {"content-type": "application/json"}, length=length) as server, \
            pytest.raises(ResponseParseError, match="max_response_bytes") as caught:
        post_on_aiohttp(server, max_response_bytes=MIB)
    assert caught.value.provider == "acme" and "1,048,576 bytes" in str(caught.value)


def test_post_json_on_aiohttp_refuses_a_gzip_bomb_at_the_limit() -> None:
    with _Replies(bomb(64 * MIB), {"content-encoding": "gzip"}) as server, \
            pytest.raises(ResponseParseError, match="max_response_bytes"):
        post_on_aiohttp(server, max_response_bytes=4 * MIB)
