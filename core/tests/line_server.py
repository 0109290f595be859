"""A loopback server that answers slowly or stalls, and the provider plugin that talks to it.

The synchronous client's tests need calls and streams that are really in flight on the wire when the
client is closed, and a server that can tell whether the client hung up. :class:`LineServer` answers
``GET /chat`` with one line of text and ``GET /stream`` with its lines (one HTTP chunk each, then
``done``); ``stall`` makes it stop answering at that point (before the chat reply, after the stream's
lines) until the client closes the connection. :class:`LinePlugin` is a provider that makes those
requests through ``ctx.http``, as a real plugin would.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import modelplex
from modelplex import ChatResponse, Finished, FinishReason, ProviderInfo, TextDelta, TextPart
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing.loopback import LoopbackServer

STALL_LIMIT = 30.0  # a stalled answer gives up after this long, so a broken test cannot hang the suite


class LineServer(LoopbackServer):
    """See the module docstring. ``requests`` counts requests received, ``open`` open connections."""

    def __init__(self, lines: Sequence[str] = ("one", "two"), *, stall: bool = False) -> None:
        self.lines = list(lines)
        self.stall = stall
        self.open = 0
        self.requests = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.settimeout(STALL_LIMIT)
                with outer.lock:
                    outer.open += 1

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with outer.lock:
                        outer.open -= 1

            def do_GET(self) -> None:
                with outer.lock:
                    outer.requests += 1
                if self.path == "/chat":
                    if outer.stall:
                        self._wait_for_hangup()
                        return
                    self._send(b"hi from the wire", "text/plain")
                    return
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for line in outer.lines:
                    self._chunk(f"{line}\n".encode())
                if outer.stall:
                    self._wait_for_hangup()
                    return
                self._chunk(b"done\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _wait_for_hangup(self) -> None:
                # The client sends nothing more on this connection: reading returns only once it closes.
                with contextlib.suppress(OSError):
                    self.rfile.read(1)
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def wait_for(self, requests: int, timeout: float = 10.0) -> int:
        """Wait until ``requests`` requests have arrived (or ``timeout``); how many did."""
        deadline = time.monotonic() + timeout
        while self.requests < requests and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.requests

    def wait_closed(self, timeout: float = 5.0) -> int:
        """Wait until the client has closed every connection (or ``timeout``); how many are open."""
        deadline = time.monotonic() + timeout
        while self.open and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.open


class LinePlugin:
    """A provider whose chat and stream are requests to a :class:`LineServer`."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False,
                            default_base_url="http://127.0.0.1:9")

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            response = await ctx.http.get(f"{ctx.settings.base_url}/chat")
            return ChatResponse(provider=ctx.name, model=request.model,
                                parts=[TextPart(text=response.text)])
        return run()

    @hookimpl
    def modelplex_chat_stream(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        @asynccontextmanager
        async def open_stream() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async with ctx.http.stream("GET", f"{ctx.settings.base_url}/stream") as response:
                async def events() -> AsyncIterator[modelplex.StreamEvent]:
                    async for line in response.aiter_lines():
                        if line == "done":
                            yield Finished(reason=FinishReason.STOP)
                        elif line:
                            yield TextDelta(text=line)
                yield events()
        return open_stream()


def line_client(server: LineServer) -> modelplex.Client:
    """A sync client whose only provider, ``line``, is ``server``."""
    return modelplex.Client(plugins={"line": LinePlugin()}, autoload=False, env={}, config_file=False,
                            providers={"line": {"base_url": server.url}})


def open_sockets() -> int:
    """Sockets this process holds open (Linux: ``/proc/self/fd``)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:  # the directory's own descriptor, gone by now
            pass
    return count
