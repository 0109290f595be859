"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for end-to-end and fault tests.

Standard library (and attrs) only, so the test kit serves it without the compat library; it binds
the loopback interface alone and serves a fixed script, so tests stay bounded and local::

    from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

    with ScriptedServer([Reply.stream([chunk(content="Hi"), chunk(finish="stop")])]) as server:
        client = modelplex.Client(providers={"openai": {"base_url": server.url, "api_key": "k"}})
        ...
        assert server.requests[0].json["stream"] is True

A :class:`Reply` is a whole JSON body, an SSE stream (optionally cut off after some events, with
or without chunked transfer encoding), or an error status with any body and headers. The last reply
repeats when the script runs out. ``routes`` gives fixed replies for some paths (a 404 for
``/v1/responses``, say) that do not use up the script.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

import attrs

from modelplex_testing.loopback import LoopbackServer

__all__ = ["Received", "Reply", "ScriptedServer", "chunk", "parallel_tool_calls", "tool_call"]


def chunk(content: str | None = None, *, reasoning: str | None = None,
          tool_calls: Sequence[Mapping[str, Any]] | None = None, finish: str | None = None,
          usage: Mapping[str, Any] | None = None, id: str = "chatcmpl-test",
          model: str = "test-model") -> dict[str, Any]:
    """One ``chat.completion.chunk``; with only ``usage``, the final usage chunk (``choices: []``)."""
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    if tool_calls is not None:
        delta["tool_calls"] = list(tool_calls)
    out: dict[str, Any] = {"id": id, "object": "chat.completion.chunk", "model": model,
                           "choices": []}
    if delta or finish is not None or usage is None:
        out["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
    if usage is not None:
        out["usage"] = dict(usage)
    return out


def tool_call(index: int, id: str | None = None, name: str | None = None,
              arguments: str = "") -> dict[str, Any]:
    """One streamed tool-call fragment for :func:`chunk`'s ``tool_calls``: the first of a call has its
    ``id`` and ``name``, the rest only pieces of its ``arguments``."""
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    return {"index": index, "id": id, "type": "function" if id else None, "function": function}


def parallel_tool_calls(usage: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A stream of some text, then two calls whose fragments interleave (``weather`` with
    ``{"city": "Oslo"}`` as ``call_w``, ``time`` with ``{"tz": "CET"}`` as ``call_t``), the finish
    reason ``tool_calls`` and ``usage``."""
    return [
        chunk(content="Checking both."),
        chunk(tool_calls=[tool_call(0, "call_w", "weather", "")]),
        chunk(tool_calls=[tool_call(1, "call_t", "time", "")]),
        chunk(tool_calls=[tool_call(0, None, None, '{"city":')]),
        chunk(tool_calls=[tool_call(1, None, None, '{"tz":"CET"}')]),
        chunk(tool_calls=[tool_call(0, None, None, '"Oslo"}')]),
        chunk(finish="tool_calls"),
        chunk(usage=usage),
    ]


@attrs.frozen(kw_only=True)
class Reply:
    """What the server answers to one request."""

    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    events: Sequence[bytes] = ()  # SSE events, each sent (and flushed) separately
    cut_after: int | None = None  # close the connection after this many events, before [DONE]
    chunked: bool = True
    delay: float = 0.0  # seconds between events

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        """``data`` as a whole JSON body."""
        return cls(status=status, body=json.dumps(data).encode(),
                   headers={"content-type": "application/json", **headers})

    @classmethod
    def text(cls, text: str, status: int, content_type: str = "text/plain", **headers: str) -> (
            Reply):
        """A body of any content type: an error page, an HTML proxy reply, a JSON-ish text."""
        return cls(status=status, body=text.encode(), headers={"content-type": content_type,
                                                               **headers})

    @classmethod
    def stream(cls, chunks: Sequence[Mapping[str, Any] | str], *, done: bool = True,
               cut_after: int | None = None, chunked: bool = True, delay: float = 0.0) -> Reply:
        """An SSE stream of ``chunks`` (objects as JSON, strings as they are), ending with
        ``[DONE]`` unless ``done`` is false; cut off after ``cut_after`` events if given."""
        events = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n".encode()
                  for c in chunks]
        if done:
            events.append(b"data: [DONE]\n\n")
        return cls(headers={"content-type": "text/event-stream"}, events=events,
                   cut_after=cut_after, chunked=chunked, delay=delay)


@attrs.frozen(kw_only=True)
class Received:
    """A request as the server saw it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body decoded as JSON (``None`` if empty)."""
        return json.loads(self.body) if self.body else None


class ScriptedServer(LoopbackServer):
    """Serves ``script`` in order on ``http://127.0.0.1:<port>/v1``; see the module docstring.

    :attr:`requests` holds what arrived; :meth:`wait_disconnect` tells whether the client closed
    a stream before the server had sent all of it.
    """

    def __init__(self, script: Sequence[Reply],
                 routes: Mapping[str, Reply] | None = None) -> None:
        if not script:
            raise ValueError("the script needs at least one reply")
        self.script = list(script)
        self.routes = dict(routes or {})  # path -> a reply given every time, outside the script
        self.requests: list[Received] = []
        self.disconnected = threading.Event()
        self._lock = threading.Lock()
        self._served = 0
        super().__init__(self._handler())

    @property
    def url(self) -> str:
        """The base URL, with ``/v1`` as OpenAI's."""
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_disconnect(self, timeout: float = 5.0) -> bool:
        """Whether the client hung up on a stream before its end, waiting up to ``timeout``."""
        return self.disconnected.wait(timeout)

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            fixed = self.routes.get(received.path.split("?", 1)[0])
            if fixed is not None:
                return fixed
            self._served += 1
            return self.script[min(self._served - 1, len(self.script) - 1)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: with Nagle on, the body waits for the
            # client's delayed ACK, 40 ms a request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = server._next(Received(method=self.command, path=self.path,
                                              headers={k.lower(): v for k, v in
                                                       self.headers.items()}, body=body))
                if reply.events:
                    self._stream(reply)
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def _stream(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.chunked:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.send_header("connection", "close")  # the body ends when the socket does
                    self.close_connection = True
                self.end_headers()
                try:
                    for n, event in enumerate(reply.events):
                        if reply.cut_after is not None and n >= reply.cut_after:
                            self._cut()
                            return
                        if reply.delay:
                            time.sleep(reply.delay)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event) if reply.chunked
                                         else event)
                        self.wfile.flush()
                    if reply.chunked:
                        self.wfile.write(b"0\r\n\r\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    server.disconnected.set()
                    self.close_connection = True

            def _cut(self) -> None:
                """Drop the connection mid-stream, as a crashed server or proxy would."""
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)

            do_POST = _serve
            do_GET = _serve

        return Handler
