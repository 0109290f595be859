"""The life of a test's HTTP server: :class:`LoopbackServer` serves a request handler on 127.0.0.1.

Each loopback server of the kit (and of the plugins' and the core's tests) is one of these with its own
handler: it binds the loopback interface alone, on a port the system picks, and serves in a daemon
thread, so a test that forgets to stop it cannot hang the run::

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None: ...

    with LoopbackServer(Hello) as server:
        httpx.get(f"{server.url}/hello")
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["LoopbackServer"]


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a test opening dozens of connections at once (calls in
    # flight, a budget's 200 concurrent calls) had some reset by the kernel while the accept thread
    # caught up, and a busy machine made it likelier ("Connection reset by peer" in CI).
    request_queue_size = 1024


class LoopbackServer:
    """``handler`` served on ``http://127.0.0.1:<port>`` by ``server_class``, one thread a connection,
    from :meth:`start` (or entering the ``with`` block) to :meth:`stop` (or leaving it)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *,
                 server_class: type[ThreadingHTTPServer] = _Server) -> None:
        self._server = server_class(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"modelplex-test-{type(self).__name__}")

    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the system)."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, with no path."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Serve from now on, in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; a connection still being answered is let go."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
