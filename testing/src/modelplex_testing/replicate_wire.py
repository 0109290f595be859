"""Replicate's predictions API on the loopback interface, for tests that need Replicate to answer as it does.

A chat with a language model on Replicate is several exchanges, not one: ``POST .../predictions`` creates a
prediction (``201``, with its ``urls``: ``get``, ``cancel`` and, when created with ``"stream": true``,
``stream``); ``GET urls.stream`` is its server-sent events (``output`` events, one a piece of the output, a
piece's lines as several ``data:`` lines, then ``done``); ``GET urls.get`` reads the prediction, which, once
over, holds the whole ``output`` (a list of pieces) and its ``metrics`` (token counts, time).

:class:`PredictionServer` answers all of them on ``http://127.0.0.1:<port>/v1``, each prediction's output
made by the ``answer`` function from the input it was created with; :func:`prediction` and
:func:`output_events` build the same bodies for a scripted server, and :func:`rehomed` points a recorded
prediction's ``urls`` at a loopback server, so that a replayed creation is followed there and not to
Replicate::

    with PredictionServer(lambda body: ["Hello", " there"]) as server:
        client = modelplex.Client(providers={"replicate": {"base_url": server.base, "api_key": "r8_..."}})
        ...
        assert server.created[0].body["input"]["prompt"] == "Hi"
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import attrs

from modelplex_testing.loopback import LoopbackServer

__all__ = ["Created", "PredictionServer", "addressed", "output_events", "prediction", "rehomed",
           "rehomed_link"]

#: ``done`` as Replicate ends a stream whose prediction succeeded.
DONE = "event: done\ndata: {}\n\n"


def prediction(id: str, *, base: str, status: str, output: Sequence[str] | None = None,
               metrics: Mapping[str, Any] | None = None, stream: bool = False, model: str = "",
               version: str = "", input: Mapping[str, Any] | None = None,
               error: str | None = None) -> dict[str, Any]:
    """Prediction ``id`` as Replicate shows it, its ``urls`` under ``base`` (``http://host:port``)."""
    urls = {"get": f"{base}/v1/predictions/{id}", "cancel": f"{base}/v1/predictions/{id}/cancel"}
    if stream:
        urls["stream"] = f"{base}/stream/{id}"
    body: dict[str, Any] = {"id": id, "model": model, "version": version, "input": dict(input or {}),
                            "logs": "", "error": error, "status": status, "urls": urls,
                            "output": list(output) if output is not None else None}
    if metrics is not None:
        body["metrics"] = dict(metrics)
    return body


def output_events(pieces: Sequence[str], *, end: str = DONE) -> list[bytes]:
    """The server-sent events of a stream carrying ``pieces``: one ``output`` event a piece (a piece's
    lines as that many ``data:`` lines, as the SSE format requires), then ``end``."""
    events = []
    for i, piece in enumerate(pieces):
        lines = "\n".join(f"data: {line}" for line in piece.split("\n"))
        events.append(f"event: output\nid: {i}\n{lines}\n\n".encode())
    events.append(end.encode())
    return events


def rehomed_link(name: str, link: str, base: str) -> str:
    """``urls[name]`` of a recorded prediction moved onto ``base`` (``http://host:port``): its path kept,
    the stream's under ``/stream`` (Replicate serves it from another host at the prediction's own path)."""
    path = urlsplit(link).path
    return f"{base}/stream{path}" if name == "stream" else f"{base}{path}"


def rehomed(body: Mapping[str, Any], base: str) -> dict[str, Any]:
    """A recorded prediction ``body`` whose ``urls`` name ``base`` instead of Replicate's hosts
    (:func:`rehomed_link`), so that a loopback server answers what the client follows."""
    urls = {name: rehomed_link(name, link, base) for name, link in (body.get("urls") or {}).items()}
    return {**body, "urls": urls}


def addressed(url: str, body: Mapping[str, Any]) -> str:
    """The model id (after ``replicate/``) a recorded creation sent to ``url`` with ``body`` addressed: an
    official model or a deployment by its route, else the version in the body."""
    path = urlsplit(url).path.removesuffix("/predictions")
    for route, prefix in (("/models/", ""), ("/deployments/", "deployments/")):
        if route in path:
            return prefix + path.split(route, 1)[1]
    return str(body["version"])


@attrs.frozen(kw_only=True)
class Created:
    """A creation as the server received it: the route, the JSON body and the headers (lower-cased)."""

    path: str
    body: Mapping[str, Any]
    headers: Mapping[str, str]


@attrs.define(kw_only=True)
class _Prediction:
    id: str
    input: Mapping[str, Any]
    pieces: Sequence[str]
    stream: bool
    cancelled: bool = False


class PredictionServer(LoopbackServer):
    """Replicate's predictions API on 127.0.0.1 (see the module docstring).

    ``answer(body)`` gives the output pieces of a prediction created with ``body``; ``metrics`` are
    every finished prediction's (by default, one output token a piece). A creation with ``Prefer: wait``
    is answered still ``processing`` (as Replicate does when the model outlasts the wait), so the client
    reads the prediction by ``urls.get`` for its end and its metrics; without it, ``starting``.
    :attr:`created` holds each creation, :attr:`reads` the paths read (``GET``), :attr:`cancels` those
    of each cancel, in order.
    """

    def __init__(self, answer: Callable[[Mapping[str, Any]], Sequence[str]], *,
                 metrics: Mapping[str, Any] | None = None,
                 model: str = "meta/meta-llama-3-8b-instruct") -> None:
        self.answer = answer
        self.metrics = dict(metrics) if metrics is not None else None
        self.model = model
        self.created: list[Created] = []
        self.reads: list[str] = []
        self.cancels: list[str] = []
        self._predictions: dict[str, _Prediction] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def base(self) -> str:
        """The API's base URL, ``/v1`` as Replicate's."""
        return f"{self.url}/v1"

    def _shown(self, p: _Prediction, status: str) -> dict[str, Any]:
        over = status in ("succeeded", "canceled")
        metrics = self.metrics if self.metrics is not None else {
            "input_token_count": 1, "output_token_count": len(p.pieces), "predict_time": 0.1}
        return prediction(p.id, base=self.url, status=status, stream=p.stream, model=self.model,
                          input=p.input, output=p.pieces if over or status == "processing" else None,
                          metrics=metrics if over else None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the body would wait for the client's delayed ACK otherwise

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _find(self, path: str) -> _Prediction | None:
                with server._lock:
                    return server._predictions.get(path.rstrip("/").rsplit("/", 1)[-1])

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.endswith("/cancel"):
                    found = self._find(self.path.removesuffix("/cancel"))
                    server.cancels.append(self.path)
                    if found is None:
                        self._send(404, {"title": "Not found", "status": 404}, "application/problem+json")
                        return
                    found.cancelled = True
                    self._send(200, server._shown(found, "canceled"))
                    return
                body = json.loads(raw or b"{}")
                created = Created(path=self.path, body=body,
                                  headers={k.lower(): v for k, v in self.headers.items()})
                pieces = list(server.answer(body))
                with server._lock:
                    server.created.append(created)
                    new = _Prediction(id=f"p{next(server._ids)}", input=body.get("input") or {},
                                      pieces=pieces, stream=bool(body.get("stream")))
                    server._predictions[new.id] = new
                waited = created.headers.get("prefer", "").startswith("wait")
                self._send(201, server._shown(new, "processing" if waited else "starting"))

            def do_GET(self) -> None:
                with server._lock:
                    server.reads.append(self.path)
                found = self._find(self.path)
                if found is None:
                    self._send(404, {"title": "Not found", "status": 404}, "application/problem+json")
                elif self.path.startswith("/stream/"):
                    self._stream(found)
                else:
                    self._send(200, server._shown(found, "canceled" if found.cancelled else "succeeded"))

            def _stream(self, found: _Prediction) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    for event in output_events(found.pieces):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler
