"""LoopbackServer: a handler served on 127.0.0.1 from start to stop, and no longer."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from modelplex_testing.loopback import LoopbackServer


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_handler_answers_on_the_loopback_address_until_the_server_stops() -> None:
    with LoopbackServer(Hello) as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert httpx.get(f"{server.url}/there", timeout=5).text == "hello /there"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=5)


def test_start_and_stop_serve_where_no_with_block_fits() -> None:
    server = LoopbackServer(Hello).start()
    try:
        assert httpx.get(server.url, timeout=5).status_code == 200
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=5)
