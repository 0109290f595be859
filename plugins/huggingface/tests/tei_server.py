"""A loopback server speaking Text Embeddings Inference's native ``POST /embed`` as TEI documents it:
``{"inputs": str | [str], "normalize", "truncate", "truncation_direction", "prompt_name"}`` in; a bare
array of vectors out with the ``x-compute-tokens`` header; errors as ``{"error", "error_type"}`` with
413 for a batch over ``--max-client-batch-size``, 422 for an input over the model's length."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from modelplex_testing.loopback import LoopbackServer

MAX_BATCH = 32
MAX_TOKENS = 512


def vector(text: str, dims: int = 4) -> list[float]:
    """A vector that tells which input it was made from (its length in words, its first letter)."""
    return [float(len(text.split())), float(ord(text[0]) if text else 0), *([0.5] * (dims - 2))]


class TEIServer(LoopbackServer):
    """``requests`` holds each request's JSON body and headers, in order."""

    def __init__(self, *, max_batch: int = MAX_BATCH, count_tokens: bool = True) -> None:
        self.requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.max_batch = max_batch
        self.count_tokens = count_tokens
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, **headers: str) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                with server._lock:
                    server.requests.append((body, {k.lower(): v for k, v in self.headers.items()}))
                if self.path != "/embed":
                    self._send(404, {"error": "Not Found", "error_type": "validation"})
                    return
                inputs = body["inputs"] if isinstance(body["inputs"], list) else [body["inputs"]]
                if len(inputs) > server.max_batch:
                    self._send(413, {"error": f"batch size {len(inputs)} > maximum allowed batch size "
                                              f"{server.max_batch}", "error_type": "validation"})
                    return
                tokens = [len(t.split()) + 2 for t in inputs]  # the words and two special tokens
                too_long = [n for n in tokens if n > MAX_TOKENS]
                if too_long and not body.get("truncate"):
                    self._send(422, {"error": f"Input validation error: `inputs` must have less than "
                                              f"{MAX_TOKENS} tokens. Given: {too_long[0]}",
                                     "error_type": "validation"})
                    return
                headers = {"x-compute-tokens": str(sum(tokens))} if server.count_tokens else {}
                self._send(200, [vector(t) for t in inputs], **headers)

        return Handler
