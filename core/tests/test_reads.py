"""Each provider connection reads 64 KiB at once (``modelplex._reads``), over plain TCP and TLS, on real
loopback servers: the connections the pool keeps after a call carry the smaller size, and a reply
several reads long arrives whole."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from modelplex import ProviderSettings
from modelplex._http import AiohttpClient, build
from modelplex._reads import READ_SIZE

BODY = bytes(range(256)) * 800  # 200 KiB: several reads at 64 KiB, one at asyncio's 256 KiB


def answer() -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(BODY) + BODY


class KeepAliveServer:
    """Answers each request on a connection with :data:`BODY` and keeps the connection open (so the
    client's pool keeps it), over TLS when given a context."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.tls = tls
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            stream: Any = self.tls.wrap_socket(conn, server_side=True) if self.tls else conn
            with stream:
                while True:
                    got = b""
                    while b"\r\n\r\n" not in got:
                        data = stream.recv(65536)
                        if not data:
                            return
                        got += data
                    stream.sendall(answer())
        except (OSError, ssl.SSLError):
            return


def pooled_transports(client: Any) -> list[Any]:
    """The transports of the connections ``client``'s aiohttp pool keeps (aiohttp's own attributes)."""
    session = client._transport.client
    return [proto.transport for conns in session.connector._conns.values() for proto, _ in conns]


def test_a_plain_connection_reads_64_kib_at_once_and_a_longer_reply_arrives_whole() -> None:
    server = KeepAliveServer()

    async def go() -> list[Any]:
        client = build(ProviderSettings(name="p", plugin="p"))
        try:
            assert (await client.get(server.url)).content == BODY
            return [t.max_size for t in pooled_transports(client)]
        finally:
            await client.aclose()

    try:
        assert asyncio.run(go()) == [READ_SIZE]
    finally:
        server.sock.close()


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
    server = KeepAliveServer(serving)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go() -> list[tuple[Any, Any]]:
        client = AiohttpClient(verify=trusting)
        try:
            assert (await client.get(server.url)).content == BODY
            return [(t.get_extra_info("sslcontext") is not None, t._ssl_protocol.max_size)
                    for t in pooled_transports(client)]
        finally:
            await client.aclose()

    try:
        assert asyncio.run(go()) == [(True, READ_SIZE)]
    finally:
        server.sock.close()
