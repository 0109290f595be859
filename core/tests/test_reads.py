"""Each provider connection reads 64 KiB at once (``modelplex._reads``), over plain TCP and TLS, on real
loopback servers: the connections the pool keeps after a call carry the smaller size, and a reply
several reads long arrives whole."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modelplex import ProviderSettings
from modelplex._http import AiohttpClient, build
from modelplex._reads import READ_SIZE
from modelplex_testing.loopback import LoopbackServer

BODY = bytes(range(256)) * 800  # 200 KiB: several reads at 64 KiB, one at asyncio's 256 KiB


class Body(BaseHTTPRequestHandler):
    """Answers each request with :data:`BODY`, keeping the connection open (so the client's pool keeps it)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def tls_server(context: ssl.SSLContext) -> type[ThreadingHTTPServer]:
    """The kit's server class, its connections wrapped in TLS as they are accepted."""

    class Tls(ThreadingHTTPServer):
        def get_request(self) -> tuple[Any, Any]:
            conn, address = super().get_request()
            return context.wrap_socket(conn, server_side=True), address

    return Tls


def pooled_transports(client: Any) -> list[Any]:
    """The transports of the connections ``client``'s aiohttp pool keeps (aiohttp's own attributes)."""
    session = client._transport.client
    return [proto.transport for conns in session.connector._conns.values() for proto, _ in conns]


def test_a_plain_connection_reads_64_kib_at_once_and_a_longer_reply_arrives_whole() -> None:
    async def go(url: str) -> list[Any]:
        client = build(ProviderSettings(name="p", plugin="p"))
        try:
            assert (await client.get(url)).content == BODY
            return [t.max_size for t in pooled_transports(client)]
        finally:
            await client.aclose()

    with LoopbackServer(Body) as server:
        assert asyncio.run(go(server.url)) == [READ_SIZE]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the TLS test makes its certificate with the openssl command, which is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_a_tls_connection_decrypts_64_kib_at_once_and_a_longer_reply_arrives_whole(
        certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go(url: str) -> list[tuple[Any, Any]]:
        client = AiohttpClient(verify=trusting)
        try:
            assert (await client.get(url)).content == BODY
            return [(t.get_extra_info("sslcontext") is not None, t._ssl_protocol.max_size)
                    for t in pooled_transports(client)]
        finally:
            await client.aclose()

    with LoopbackServer(Body, server_class=tls_server(serving)) as server:
        assert asyncio.run(go(f"https://127.0.0.1:{server.port}/")) == [(True, READ_SIZE)]
