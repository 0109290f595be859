"""Ollama's transport failures named as every plugin names them (issue 12, "Errors"), on a loopback
socket server: a read timeout is a :class:`RequestTimeoutError`; "Ollama is not reachable … Is it
running?" only when connecting failed, never when the server answered and then reset the connection
or cut the body. The bytes it sends before failing are the recorded ``fixtures/ollama/21`` stream
(tmc/langchaingo, MIT) and a real ``/api/chat`` reply's head.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import modelplex
from modelplex.errors import RequestTimeoutError, StreamInterruptedError, TransportError

STREAM = json.loads((Path(__file__).parent / "fixtures" / "ollama" / "21_native_api_chat_stream.json")
                    .read_text(encoding="utf-8"))["response"]["body_text"].encode()
NOT_RUNNING = "Is it running?"


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed server does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _slow(conn: socket.socket) -> None:
    time.sleep(1.5)  # past the client's read timeout (0.3 s)
    conn.close()


def _reset_mid_body(conn: socket.socket) -> None:
    body = STREAM[:200]
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
                 b"content-length: %d\r\n\r\n" % (len(STREAM),) + body)
    time.sleep(0.1)
    _reset(conn)


def _cut_body(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
                 b"content-length: %d\r\n\r\n" % (len(STREAM),) + STREAM[:200])
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def _cut_stream(conn: socket.socket) -> None:
    lines = STREAM.splitlines(keepends=True)[:3]
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n"
                 b"transfer-encoding: chunked\r\n\r\n"
                 + b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines))
    time.sleep(0.1)
    _reset(conn)


@contextmanager
def _server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(10)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            _read_request(conn)
            answer(conn)
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(timeout=5)


def _client(port: int) -> modelplex.Client:
    return modelplex.Client(providers={"ollama": {"base_url": f"http://127.0.0.1:{port}",
                                                  "read_timeout": 0.3, "max_retries": 0}},
                            config_file=False, env={})


def _chat(port: int) -> BaseException:
    with _client(port) as client, pytest.raises(TransportError) as caught:
        client.chat("ollama/gemma3:1b", "hi")
    return caught.value


def _stream(port: int) -> BaseException:
    with _client(port) as client, pytest.raises(TransportError) as caught, client.stream(
            "ollama/gemma3:1b", "hi") as events:
        for _ in events:
            pass
    return caught.value


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refused_connection_asks_whether_ollama_runs() -> None:
    error = _chat(_closed_port())
    assert type(error) is TransportError and NOT_RUNNING in str(error)


@pytest.mark.parametrize("call", [_chat, _stream])
def test_read_timeout_is_a_request_timeout(call: Callable[[int], BaseException]) -> None:
    with _server(_slow) as port:
        error = call(port)
    assert isinstance(error, RequestTimeoutError), repr(error)
    assert NOT_RUNNING not in str(error)


@pytest.mark.parametrize("answer", [_reset_mid_body, _cut_body])
def test_a_body_broken_after_the_answer_is_not_not_running(
        answer: Callable[[socket.socket], None]) -> None:
    with _server(answer) as port:
        error = _chat(port)
    assert not isinstance(error, RequestTimeoutError), repr(error)
    assert NOT_RUNNING not in str(error) and "not reachable" not in str(error)


def test_a_stream_reset_after_lines_is_interrupted_not_not_running() -> None:
    with _server(_cut_stream) as port:
        error = _stream(port)
    assert isinstance(error, StreamInterruptedError), repr(error)
    assert NOT_RUNNING not in str(error)
