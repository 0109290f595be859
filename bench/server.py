"""A fast local LLM server for the benchmarks: OpenAI, Anthropic, Gemini and Ollama formats on 127.0.0.1.

Standard library only (an ``asyncio.Protocol`` speaking just enough HTTP/1.1 with keep-alive), so that the
server costs far less per request than any client it measures. Every reply is built once and cached.

Routes (``N``, the number of streamed chunks, is the number at the end of the model name, ``bench-64``;
without one, ``--chunks``)::

    POST /v1/chat/completions                     OpenAI Chat Completions (SSE when "stream": true)
    POST /v1/messages                             Anthropic Messages (SSE when "stream": true)
    POST /v1beta/models/M:generateContent         Gemini
    POST /v1beta/models/M:streamGenerateContent   Gemini, SSE (``?alt=sse``)
    POST /api/chat                                Ollama (NDJSON unless "stream": false)
    GET  /health                                  200, for the runner to know the server is up

A streamed reply is sent with chunked transfer encoding, one HTTP chunk per event, in one write.

    python bench/server.py [--port 0] [--chunks 16] [--cpu 0]

prints ``PORT <n>`` on its first line once it listens, and serves until stdin closes or it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

TEXT = "Hello"  # a whole reply's text


def piece(i: int) -> str:
    """The text of chunk ``i`` of a streamed reply (not all alike: LiteLLM stops a stream that
    repeats one chunk, taking it for a model stuck in a loop)."""
    return f"w{i} "
_NUMBER = re.compile(r"(\d+)$")
_GEMINI = re.compile(r"^/v1beta/models/([^/:]+):(generateContent|streamGenerateContent)$")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _chunked(events: list[bytes]) -> bytes:
    out = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def _response(status: int, content_type: str, body: bytes, *, stream: bool = False) -> bytes:
    reason = {200: b"OK", 404: b"Not Found", 400: b"Bad Request"}.get(status, b"OK")
    head = [b"HTTP/1.1 %d %s" % (status, reason), b"content-type: " + content_type.encode(),
            b"connection: keep-alive"]
    if stream:
        head.append(b"transfer-encoding: chunked")
    else:
        head.append(b"content-length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


# -- the formats ------------------------------------------------------------------------------------
def openai_reply(model: str, stream: bool, n: int) -> bytes:
    usage = {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}
    if not stream:
        body = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT},
                             "finish_reason": "stop"}], "usage": usage}
        return _response(200, "application/json", _dumps(body))

    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        data = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + _dumps(data) + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": piece(i)}, None) for i in range(n)]
    events.append(chunk({}, "stop"))
    events.append(b"data: " + _dumps({"id": "chatcmpl-bench", "object": "chat.completion.chunk",
                                      "created": 1, "model": model, "choices": [],
                                      "usage": usage}) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return _response(200, "text/event-stream", _chunked(events), stream=True)


def anthropic_reply(model: str, stream: bool, n: int) -> bytes:
    if not stream:
        body = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": TEXT}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": n}}
        return _response(200, "application/json", _dumps(body))

    def event(kind: str, data: dict[str, Any]) -> bytes:
        return b"event: " + kind.encode() + b"\ndata: " + _dumps({"type": kind, **data}) + b"\n\n"

    events = [event("message_start", {"message": {
        "id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})]
    events += [event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece(i)}})
               for i in range(n)]
    events += [event("content_block_stop", {"index": 0}),
               event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                       "usage": {"output_tokens": n}}),
               event("message_stop", {})]
    return _response(200, "text/event-stream", _chunked(events), stream=True)


def gemini_reply(model: str, stream: bool, n: int) -> bytes:
    def body(text: str, finish: str | None, usage: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
        if usage:
            out["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": n,
                                    "totalTokenCount": 5 + n}
        return out

    if not stream:
        return _response(200, "application/json", _dumps(body(TEXT, "STOP", True)))
    events = [b"data: " + _dumps(body(piece(i), None, False)) + b"\r\n\r\n" for i in range(n - 1)]
    events.append(b"data: " + _dumps(body(piece(n - 1), "STOP", True)) + b"\r\n\r\n")
    return _response(200, "text/event-stream", _chunked(events), stream=True)


def ollama_reply(model: str, stream: bool, n: int) -> bytes:
    def line(content: str, done: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"model": model, "created_at": "2025-01-01T00:00:00Z",
                               "message": {"role": "assistant", "content": content}, "done": done}
        if done:
            out.update(done_reason="stop", total_duration=1000, load_duration=10, prompt_eval_count=5,
                       prompt_eval_duration=100, eval_count=n, eval_duration=900)
        return out

    if not stream:
        final = line(TEXT, True)
        return _response(200, "application/json", _dumps(final))
    events = [_dumps(line(piece(i), False)) + b"\n" for i in range(n)]
    events.append(_dumps(line("", True)) + b"\n")
    return _response(200, "application/x-ndjson", _chunked(events), stream=True)


FORMATS: dict[str, Callable[[str, bool, int], bytes]] = {
    "openai": openai_reply, "anthropic": anthropic_reply, "gemini": gemini_reply, "ollama": ollama_reply,
}


class Replies:
    """Replies by (format, model, stream), built once."""

    def __init__(self, default_chunks: int) -> None:
        self.default_chunks = default_chunks
        self._cache: dict[tuple[str, str, bool], bytes] = {}

    def get(self, fmt: str, model: str, stream: bool) -> bytes:
        key = (fmt, model, stream)
        reply = self._cache.get(key)
        if reply is None:
            found = _NUMBER.search(model)
            n = max(1, int(found.group(1))) if found else self.default_chunks
            reply = self._cache[key] = FORMATS[fmt](model, stream, n)
        return reply

    def answer(self, method: bytes, target: bytes, body: bytes) -> bytes:
        path, _, _query = target.decode("latin-1").partition("?")
        if method == b"GET" and path == "/health":
            return _response(200, "application/json", b"{}")
        if method != b"POST":
            return _response(404, "application/json", b'{"error": "not found"}')
        gemini = _GEMINI.match(path)
        if gemini is not None:
            return self.get("gemini", gemini.group(1), gemini.group(2) == "streamGenerateContent")
        fmt = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic",
               "/api/chat": "ollama"}.get(path)
        if fmt is None:
            return _response(404, "application/json", b'{"error": {"message": "unknown url"}}')
        try:
            request = json.loads(body)
        except ValueError:
            return _response(400, "application/json", b'{"error": {"message": "not JSON"}}')
        stream = request.get("stream", fmt == "ollama") is True
        return self.get(fmt, str(request.get("model", "bench")), stream)


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining; request bodies by Content-Length only."""

    def __init__(self, replies: Replies) -> None:
        self.replies = replies
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out: list[bytes] = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end == -1:
                break
            head = self.buffer[:end]
            lines = head.split(b"\r\n")
            method, target, _version = lines[0].split(b" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                break
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            out.append(self.replies.answer(method, target, body))
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


def pin(cpu: int | None) -> bool:
    """Run this process on ``cpu`` alone where the machine allows; whether it did."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        if cpu not in os.sched_getaffinity(0) or len(os.sched_getaffinity(0)) < 2:
            return False
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return False
    return True


async def serve(port: int, chunks: int) -> None:
    loop = asyncio.get_running_loop()
    replies = Replies(chunks)
    server = await loop.create_server(lambda: HTTPProtocol(replies), "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    # Serve until stdin closes: the runner's death (or its closing the pipe) stops the server too.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(4096) else None)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=16)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    pin(args.cpu)
    asyncio.run(serve(args.port, args.chunks))


if __name__ == "__main__":
    main()
