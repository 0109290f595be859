"""The toolkit's read loops against a loopback server: ``sse_stream`` hands each event to the
plugin's handler and tells it how reading ended; ``ndjson_stream`` yields each line's value."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
import pytest

from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex.toolkit import SSEDecoder, SSEEvent, interrupted, ndjson_stream, sse_stream
from modelplex_testing import Reply, ScriptedServer


class Handler:
    """Data of each event; done at ``[END]``; what ``end`` was told."""

    def __init__(self) -> None:
        self.done = False
        self.ended: list[tuple[str | None, bool]] = []

    def event(self, sse: SSEEvent) -> list[str]:
        if sse.data == "[END]":
            self.done = True
            return []
        return [sse.data]

    def end(self, broken: Exception | None, pending: bool) -> list[str]:
        self.ended.append((type(broken).__name__ if broken else None, pending))
        if not self.done:
            raise interrupted(provider="acme", model="m", broken=broken, pending=pending,
                              before="[END]") from broken
        return ["(end)"]


def frames(*data: str) -> list[bytes]:
    return [f"data: {d}\n\n".encode() for d in data]


async def read(reply: Reply, handler: Handler, first: Iterable[str] = ()) -> (
        tuple[list[str], BaseException | None]):
    got: list[str] = []
    with ScriptedServer([reply]) as server:
        async with httpx.AsyncClient() as http, http.stream("GET", server.url) as response:
            try:
                async for item in sse_stream(response, handler, first=first):
                    got.append(item)
            except Exception as exc:
                return got, exc
    return got, None


def test_events_in_order_then_the_end_and_nothing_after_it() -> None:
    handler = Handler()
    reply = Reply(headers={"content-type": "text/event-stream"},
                  events=[*frames("a", "b"), b": keep-alive\n\n", *frames("[END]", "never read")])
    got, raised = asyncio.run(read(reply, handler, first=["warning"]))
    assert raised is None and got == ["warning", "a", "b", "(end)"] and handler.ended == [(None, False)]


@pytest.mark.parametrize(("events", "why", "pending"), [
    (frames("a"), "the stream ended before [END]", False),
    ([*frames("a"), b"data: half"], "the stream ended in the middle of an event before [END]", True),
])
def test_bytes_that_end_too_early(events: list[bytes], why: str, pending: bool) -> None:
    handler = Handler()
    got, raised = asyncio.run(read(Reply(headers={"content-type": "text/event-stream"}, events=events),
                                   handler))
    assert got == ["a"] and isinstance(raised, StreamInterruptedError)
    assert str(raised) == f"acme/m: {why}" and handler.ended == [(None, pending)]


def test_a_connection_that_breaks_is_handed_to_the_handler() -> None:
    handler = Handler()
    reply = Reply(headers={"content-type": "text/event-stream"}, events=frames("a", "b", "[END]"),
                  cut_after=2)
    got, raised = asyncio.run(read(reply, handler))
    assert got == ["a", "b"] and isinstance(raised, StreamInterruptedError)
    assert "the connection broke mid-stream (RemoteProtocolError) before [END]" in str(raised)
    assert handler.ended == [("RemoteProtocolError", False)]
    assert isinstance(raised.__cause__, httpx.TransportError)


async def ndjson(reply: Reply) -> tuple[list[Any], BaseException | None]:
    got: list[Any] = []
    with ScriptedServer([reply]) as server:
        async with httpx.AsyncClient() as http, http.stream("GET", server.url) as response:
            try:
                async for item in ndjson_stream(response, provider="acme", model="m", server="Acme"):
                    got.append(item)
            except Exception as exc:
                return got, exc
    return got, None


def test_ndjson_values_a_cut_line_and_a_bad_line() -> None:
    lines = [b'{"a": 1}\n', b'{"b": [2, ', b'3]}\n', b'{"c": 3}']
    assert asyncio.run(ndjson(Reply(events=lines))) == ([{"a": 1}, {"b": [2, 3]}, {"c": 3}], None)
    got, raised = asyncio.run(ndjson(Reply(events=[b'{"a": 1}\n{"b": '])))
    assert got == [{"a": 1}] and isinstance(raised, StreamInterruptedError)
    assert "in the middle of a line" in str(raised)
    got, raised = asyncio.run(ndjson(Reply(events=[b'{"a": 1}\n', b'<html>\n'])))
    assert got == [{"a": 1}] and isinstance(raised, ResponseParseError)
    assert str(raised) == "acme/m: Acme sent a line that is not JSON: <html>"
    got, raised = asyncio.run(ndjson(Reply(events=[b'{"a": 1}\n', b'{"b": 2}\n'], cut_after=1)))
    assert got == [{"a": 1}] and isinstance(raised, StreamInterruptedError)
    assert "the connection to Acme broke mid-stream" in str(raised)


class _Chunks:
    """A response whose body is the given chunks, delivered at once: only the loop is measured."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


class _Endless(Handler):
    def event(self, sse: SSEEvent) -> list[str]:
        return [sse.data]

    def end(self, broken: Exception | None, pending: bool) -> list[str]:
        return []


async def _inline(response: _Chunks, handler: Handler) -> AsyncIterator[str]:
    """The loop each plugin wrote by hand before the toolkit had one."""
    decoder = SSEDecoder()
    feed, parse = decoder.feed, handler.event
    try:
        async for chunk in response.aiter_bytes():
            for sse in feed(chunk):
                for event in parse(sse):
                    yield event
                if handler.done:
                    return
    except httpx.TransportError as exc:
        raise StreamInterruptedError("broke", provider="acme") from exc
    for sse in decoder.close():
        for event in parse(sse):
            yield event


def _frames_entered(loop: Any, count: int) -> int:
    """The Python frames entered (calls and generator resumptions) while ``loop`` reads ``count`` events."""
    entered = 0

    def counting(frame: Any, event: str, arg: Any) -> None:
        nonlocal entered
        entered += event == "call"

    async def drain() -> None:
        sys.setprofile(counting)
        try:
            async for _ in loop(_Chunks(frames(*["{}"] * count)), _Endless()):
                pass
        finally:
            sys.setprofile(None)

    asyncio.run(drain())
    return entered


def test_the_shared_loop_costs_what_the_inline_loops_did() -> None:
    """One generator from the bytes to the handler's events, as the loops plugins wrote inline: no
    extra layer per event (one would cost about 1 µs of 4-5). Counted, not timed: the frames entered per
    event, which a layer would raise by one, whatever the machine's load or a tracer (`nox -s bench`
    times the streams that use it)."""
    inline = _frames_entered(_inline, 200) - _frames_entered(_inline, 100)
    shared = _frames_entered(lambda r, h: sse_stream(r, h), 200) - _frames_entered(
        lambda r, h: sse_stream(r, h), 100)
    assert shared <= inline, (shared / 100, inline / 100)  # per event, over the same hundred events
