"""A loopback server speaking Replicate's predictions API as it documents it, for end-to-end tests.

``POST .../predictions`` (the three routes) creates a prediction whose ``urls`` point back here;
``GET /v1/predictions/<id>`` reads it (``processing`` for the first ``polls`` reads, then over, with
``metrics``); ``GET /stream/<id>`` is its event stream (``output`` events, one a piece, ``delay``
seconds apart, then ``done``; ``hang`` keeps it open after the pieces until the prediction is
cancelled); ``POST /v1/predictions/<id>/cancel`` cancels it and is recorded in ``cancels``.
``error`` answers the creation with that status and a problem+json body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

from modelplex_testing.loopback import LoopbackServer
from modelplex_testing.replicate_wire import output_events, prediction

PIECES = ("Fuzzy", ", gentle", " beasts", "\nSoft", "ly grazing")


class ReplicateServer(LoopbackServer):
    """See the module docstring; ``requests`` holds (method, path, headers, JSON body) in order."""

    def __init__(self, *, pieces: Sequence[str] = PIECES, polls: int = 0, delay: float = 0.0,
                 hang: bool = False, error: tuple[int, Mapping[str, Any], Mapping[str, str]] | None = None,
                 metrics: Mapping[str, Any] | None = None, end_event: str = "event: done\ndata: {}\n\n",
                 final_status: str = "succeeded", wait_finishes: bool = True,
                 host: str = "127.0.0.1", streams: bool = True, stream_status: int = 200) -> None:
        self.pieces, self.polls, self.delay, self.hang = list(pieces), polls, delay, hang
        self.error, self.end_event, self.final_status = error, end_event, final_status
        self.wait_finishes = wait_finishes
        self.host = host  # the host the prediction's urls name
        self.streams = streams  # the model streams its output (gives urls.stream when asked)
        self.stream_status = stream_status  # what GET urls.stream answers
        self.metrics = dict(metrics if metrics is not None else
                            {"input_token_count": 9, "output_token_count": len(pieces), "predict_time": 0.4})
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.cancels: list[str] = []
        self.cancelled = threading.Event()
        self.polled = threading.Event()  # the prediction was read at least once
        self._reads = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def base(self) -> str:
        """The base URL, ``/v1`` as Replicate's."""
        return f"{self.url}/v1"

    def prediction(self, status: str, *, stream: bool = True) -> dict[str, Any]:
        """The prediction ``p1`` as Replicate shows it in ``status``."""
        over = status not in ("starting", "processing")
        return prediction("p1", base=f"http://{self.host}:{self.port}", status=status, stream=stream,
                          model="meta/meta-llama-3-8b-instruct", version="dp-1",
                          output=self.pieces if over or status == "processing" else None,
                          metrics=self.metrics if over else None,
                          error="CUDA out of memory" if status == "failed" else None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json",
                      **headers: str) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> Any:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with server._lock:
                    server.requests.append((self.command, self.path,
                                            {k.lower(): v for k, v in self.headers.items()}, body))
                return body

            def do_POST(self) -> None:
                body = self._record()
                if self.path.endswith("/cancel"):
                    server.cancels.append(self.path)
                    server.cancelled.set()
                    self._send(200, server.prediction("canceled"))
                    return
                if server.error is not None:
                    status, problem, headers = server.error
                    self._send(status, problem, "application/problem+json", **headers)
                    return
                stream = bool(body.get("stream")) and server.streams
                waited = self.headers.get("prefer") == "wait" and server.wait_finishes and not server.polls
                status = server.final_status if waited else "starting"
                self._send(201, server.prediction(status, stream=stream))

            def do_GET(self) -> None:
                self._record()
                if self.path.startswith("/stream/"):
                    self._stream()
                    return
                with server._lock:
                    server._reads += 1
                    reads = server._reads
                server.polled.set()
                if server.cancelled.is_set():
                    status = "canceled"
                else:
                    status = "processing" if reads <= server.polls else server.final_status
                self._send(200, server.prediction(status))

            def _stream(self) -> None:
                if server.stream_status >= 400:
                    self._send(server.stream_status, {"title": "Not found", "detail": "stream expired",
                                                      "status": server.stream_status},
                               "application/problem+json")
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()

                def send(text: str) -> None:
                    data = text.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()

                try:
                    for event in output_events(server.pieces)[:-1]:  # the pieces; the end is below
                        if server.delay:
                            time.sleep(server.delay)
                        send(event.decode())
                    if server.hang:
                        server.cancelled.wait(10)
                        send('event: done\ndata: {"reason": "canceled"}\n\n')
                    else:
                        send(server.end_event)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler
