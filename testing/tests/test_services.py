"""services.py: a throwaway redis-server on a free loopback port, spoken to in RESP on the wire."""

from __future__ import annotations

import socket

import pytest

from modelplex_testing.services import RedisServer, free_port

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed")


def _command(port: int, *words: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words).join(
            [f"*{len(words)}\r\n".encode(), b""]))
        return sock.recv(1024)


def test_free_port_is_a_port_nothing_listens_on() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@needs_redis
def test_a_server_answers_then_is_gone_after_the_block() -> None:
    with RedisServer() as redis:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert _command(redis.port, "SET", "k", "v") == b"+OK\r\n"
        assert _command(redis.port, "GET", "k") == b"$1\r\nv\r\n"
        # No persistence: nothing would survive a restart, and nothing is written to disk.
        assert _command(redis.port, "CONFIG", "GET", "save").endswith(b"$4\r\nsave\r\n$0\r\n\r\n")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", redis.port), timeout=1).close()
    redis.__exit__(None, None, None)  # stopping twice is harmless


def test_a_missing_binary_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RedisServer, "BINARY", "redis-server-that-is-not-installed")
    assert not RedisServer.available()
    with pytest.raises(FileNotFoundError, match="apt-get install redis-server"):
        RedisServer().__enter__()
