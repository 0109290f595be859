"""A loopback HTTP server that echoes a request's credentials back in its answers, as some providers
do in their error bodies, and can break the connection half-way: :class:`EchoServer`.

An answer is the name of one behaviour (:data:`ANSWERS`), given per request in order:

- ``"401"``: a JSON error whose message quotes every request header's value;
- ``"malformed"``: a 200 ``application/json`` body that is not JSON and quotes the headers;
- ``"reset"``: the head and half a JSON body quoting the headers, then a TCP reset;
- ``"stream-malformed"``: an SSE stream whose second event is not JSON and quotes the headers;
- ``"stream-cut"``: an SSE stream that stops after one event, the connection closed.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Sequence
from types import TracebackType

ANSWERS = ("401", "malformed", "reset", "stream-malformed", "stream-cut")


class EchoServer:
    """See the module docstring. ``received`` holds each request's headers (lower-cased names)."""

    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.received: list[dict[str, str]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # so that the accept loop sees the stop without a connection
        self._stopped = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                try:
                    self._answer(conn)
                except OSError:
                    continue

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += conn.recv(65536)
        self.received.append(headers)
        answer = self.answers[min(len(self.received) - 1, len(self.answers) - 1)]
        echoed = " ".join(f"{k}={v}" for k, v in headers.items())
        if answer == "401":
            conn.sendall(_whole(401, "application/json", json.dumps(
                {"error": {"type": "authentication_error", "code": "invalid_api_key",
                           "message": f"Incorrect API key provided; you sent {echoed}"}}).encode()))
        elif answer == "malformed":
            conn.sendall(_whole(200, "application/json", f'{{"id": "x", "oops": {echoed}'.encode()))
        elif answer == "reset":
            body_part = json.dumps({"error": {"message": f"you sent {echoed}"}}).encode()
            conn.sendall(_head(200, "application/json", len(body_part) * 2) + body_part)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif answer in ("stream-malformed", "stream-cut"):
            conn.sendall(_head(200, "text/event-stream", None))
            first = 'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}\n\n'
            conn.sendall(_chunk(first.encode()))
            if answer == "stream-malformed":
                conn.sendall(_chunk(f"data: {{not json {echoed}\n\n".encode()) + b"0\r\n\r\n")
        else:
            raise ValueError(f"unknown answer {answer!r}; expected one of {ANSWERS}")


def _head(status: int, content_type: str, length: int | None) -> bytes:
    framing = f"content-length: {length}" if length is not None else "transfer-encoding: chunked"
    return (f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n{framing}\r\n"
            "connection: close\r\n\r\n").encode()


def _whole(status: int, content_type: str, body: bytes) -> bytes:
    return _head(status, content_type, len(body)) + body


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)
