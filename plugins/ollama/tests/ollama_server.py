"""A local server on 127.0.0.1 that speaks Ollama's HTTP API from a script, for end-to-end tests.

Standard library only, bound to the loopback interface, every reply scripted: each route
(``"POST /api/chat"``) answers from its own list of replies in order (the last one repeats), or from
a function of the request. NDJSON replies send each line on its own, flushed, optionally with a
pause between lines or a dropped connection after some of them.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from modelplex_testing.compat_server import Received
from modelplex_testing.loopback import LoopbackServer


@attrs.frozen(kw_only=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    lines: Sequence[bytes] = ()
    delay: float = 0.0
    cut_after: int | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(status=status, body=json.dumps(data).encode())

    @classmethod
    def error(cls, message: str, status: int) -> Reply:
        return cls.json({"error": message}, status)

    @classmethod
    def ndjson(cls, objects: Sequence[Any], *, delay: float = 0.0, cut_after: int | None = None) -> Reply:
        return cls(content_type="application/x-ndjson", delay=delay, cut_after=cut_after,
                   lines=[json.dumps(o).encode() + b"\n" for o in objects])


Route = Reply | Sequence[Reply] | Callable[[Received], Reply]


def free_port() -> int:
    """A port nothing listens on (for a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up as soon as it has what it wanted (a pull's "success" line, before the
        # body's last chunk) is normal; the default would print a traceback into the CLI's stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class OllamaServer(LoopbackServer):
    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = dict(routes)
        self.requests: list[Received] = []
        self.disconnected = threading.Event()
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        super().__init__(self._handler(), server_class=_QuietServer)

    @property
    def host(self) -> str:
        """As OLLAMA_HOST takes it: no scheme."""
        return f"127.0.0.1:{self.port}"

    def sent(self, route: str) -> list[Received]:
        method, path = route.split(" ", 1)
        return [r for r in self.requests if r.method == method and r.path == path]

    def _reply(self, received: Received) -> Reply:
        key = f"{received.method} {received.path}"
        with self._lock:
            self.requests.append(received)
            route = self.routes.get(key)
            if route is None:
                return Reply(status=404, body=b"404 page not found", content_type="text/plain")
            if isinstance(route, Reply):
                return route
            if callable(route):
                return route(received)
            n = self._served[key] = self._served.get(key, 0) + 1
            return route[min(n, len(route)) - 1]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = server._reply(Received(method=self.command, path=self.path, body=body,
                                               headers={k.lower(): v for k, v in self.headers.items()}))
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                if not reply.lines:
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    for n, line in enumerate(reply.lines):
                        if reply.cut_after is not None and n >= reply.cut_after:
                            self.close_connection = True
                            self.wfile.flush()
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return
                        if reply.delay and n:
                            time.sleep(reply.delay)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.disconnected.set()
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _serve

        return Handler
