"""A fault-injecting OpenAI Chat Completions server on 127.0.0.1, for resilience and load tests.

One server listens on one loopback port per name (configure each as a provider, for instance
``[providers.local-a] plugin = "openai-like"`` with ``base_url = server.url("local-a")``)::

    with FaultServer(["local-a", "local-b"], seed=7, fault_rate=0.2) as server:
        ...
        assert server.open_connections == 0
        assert server.max_in_window("local-a", 60.0) <= 100

Faults (``KINDS``): ``429`` (with ``Retry-After``), ``500``, ``503``, ``529``, ``slow`` (the answer
comes only after ``slow`` seconds, past a client's timeout), ``reset`` (the connection is reset before
any answer), ``cut`` (a stream is cut after ``cut_events`` events, or a body half-way) and
``malformed`` (a body or stream event that is not JSON).

Which request meets which fault is decided by ``seed``, the port's name, the request's last user
message and how many times that message came to that port before, never by timing: a test whose
requests carry distinct prompts meets the same faults at every run, however its requests interleave.
``script`` gives the faults of a port in arrival order instead (``"ok"`` for a normal answer), for
step-by-step tests. Every request is logged, with its arrival time (``time.time()``) and its fault.
Standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import random
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

__all__ = ["KINDS", "FaultServer", "LogReader", "Logged"]

KINDS = ("429", "500", "503", "529", "slow", "reset", "cut", "malformed")
_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable", 529: "Overloaded"}
_ERRORS = {
    "429": ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    "500": ("The server had an error while processing your request", "server_error", None),
    "503": ("The engine is currently overloaded, please try again later", "service_unavailable", None),
    "529": ("Overloaded", "overloaded_error", None),
}


@attrs.frozen(kw_only=True)
class Logged:
    """One request as the server received it. ``fault`` is what it met (``None``: a normal answer)."""

    time: float
    server: str
    method: str
    path: str
    fault: str | None
    stream: bool
    connection: int
    prompt: str = ""


class LogReader:
    """What tests read of a fault server, from its ``ports``, ``log`` and ``open_connections``: shared by
    :class:`FaultServer` (a thread of the test's process) and ``faults_process.FaultServerProcess``."""

    names: list[str]
    ports: dict[str, int]

    @property
    def log(self) -> list[Logged]:
        raise NotImplementedError

    @property
    def open_connections(self) -> int:
        """Connections open on the server's side right now."""
        raise NotImplementedError

    def url(self, name: str) -> str:
        """The base URL of port ``name``, with ``/v1`` as OpenAI's."""
        return f"http://127.0.0.1:{self.ports[name]}/v1"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.names}

    def wait_idle(self, timeout: float = 5.0) -> int:
        """Wait until no connection is open (or ``timeout``); the number still open."""
        deadline = time.monotonic() + timeout
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.open_connections

    def requests(self, name: str | None = None, path: str = "/v1/chat/completions") -> list[Logged]:
        return [e for e in self.log if (name is None or e.server == name) and e.path.startswith(path)]

    def max_in_window(self, name: str, window: float, path: str = "/v1/chat/completions") -> int:
        """The most requests port ``name`` received within any ``window`` seconds (a rolling count)."""
        if not window > 0:
            raise ValueError(f"the window must be > 0 seconds, got {window!r}")
        times = sorted(e.time for e in self.requests(name, path))
        best, first = 0, 0
        for last, t in enumerate(times):
            while first < last and times[first] <= t - window:
                first += 1
            best = max(best, last - first + 1)
        return best

    def write_log(self, path: str | Path) -> None:
        """The log as JSON lines, one request each."""
        with Path(path).open("w", encoding="utf-8") as f:
            for entry in self.log:
                f.write(json.dumps(attrs.asdict(entry)) + "\n")


class FaultServer(LogReader):
    """See the module docstring. ``faults`` weighs the kinds drawn when a request is faulted (all
    equally by default); ``models_fault`` faults a port's ``GET /models`` every time."""

    def __init__(self, names: Sequence[str] = ("a",), *, seed: int = 0, fault_rate: float = 0.0,
                 faults: Mapping[str, float] | None = None, retry_after: float = 1.0,
                 slow: float = 5.0, cut_events: Sequence[int] = (1, 3), words: int = 4,
                 models: Sequence[str] = ("m1",), context_window: int | None = None,
                 script: Mapping[str, Sequence[str]] | None = None,
                 models_fault: Mapping[str, str] | None = None) -> None:
        weights = dict(faults) if faults is not None else dict.fromkeys(KINDS, 1.0)
        named = {*weights, *(models_fault or {}).values()}
        named |= {kind for kinds in (script or {}).values() for kind in kinds if kind != "ok"}
        unknown = named - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {KINDS}")
        self.names = list(names)
        self.seed = seed
        self.fault_rate = fault_rate
        self.weights = weights
        self.retry_after = retry_after
        self.slow = slow
        self.cut_events = tuple(cut_events)
        self.words = words
        self.models = list(models)
        self.context_window = context_window
        self.script = {k: deque(v) for k, v in (script or {}).items()}
        self.models_fault = dict(models_fault or {})
        self.ports: dict[str, int] = {}
        self._log: list[Logged] = []
        self._seen: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._open = 0
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifetime --------------------------------------------------------------------------------------
    def __enter__(self) -> FaultServer:
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="modelplex-fault-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def _start(self) -> None:
        for name in self.names:
            server = await asyncio.start_server(functools.partial(self._serve, name), "127.0.0.1", 0)
            self._servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- what tests read -------------------------------------------------------------------------------
    @property
    def log(self) -> list[Logged]:
        with self._lock:
            return list(self._log)

    @property
    def open_connections(self) -> int:
        """Connections open on the server's side right now."""
        with self._lock:
            return self._open

    # -- serving ---------------------------------------------------------------------------------------
    async def _serve(self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = next(self._ids)
        with self._lock:
            self._open += 1
        aborted = False
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    raw = await reader.readline()
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    key, _, value = raw.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                keep = await self._answer(name, conn, method, path, body, reader, writer)
                if keep is None:
                    aborted = True
                    break
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass
        finally:
            with self._lock:
                self._open -= 1
            self._tasks.discard(task)
            if not aborted:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    def _decide(self, name: str, prompt: str) -> tuple[str | None, random.Random]:
        with self._lock:
            n = self._seen.get((name, prompt), 0)
            self._seen[(name, prompt)] = n + 1
            scripted = self.script.get(name)
            planned = scripted.popleft() if scripted else None
        rng = random.Random(f"{self.seed}|{name}|{prompt}|{n}")
        if planned is not None:
            return (None if planned == "ok" else planned), rng
        if rng.random() < self.fault_rate:
            kinds = sorted(self.weights)
            return rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0], rng
        return None, rng

    async def _answer(self, name: str, conn: int, method: str, path: str, body: bytes,
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool | None:
        """Answer one request: ``True`` to keep the connection, ``False`` to close it, ``None`` if reset."""
        route = path.split("?", 1)[0]
        if method == "GET" and route.endswith("/models"):
            fault = self.models_fault.get(name)
            self._record(name, method, path, fault, False, conn, "")
            if fault is None:
                data = [{"id": m, "object": "model", "owned_by": name}
                        | ({"context_window": self.context_window} if self.context_window else {})
                        for m in self.models]
                return await self._json(writer, 200, {"object": "list", "data": data})
            return await self._fault(fault, writer, reader, random.Random(self.seed), stream=False,
                                     model="", name=name)
        if method != "POST" or not route.endswith("/chat/completions"):
            self._record(name, method, path, None, False, conn, "")
            return await self._json(writer, 404, {"error": {"message": f"no route {route}"}})
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        prompt = _prompt(request)
        stream = bool(request.get("stream"))
        model = str(request.get("model", "m"))
        fault, rng = self._decide(name, prompt)
        self._record(name, method, path, fault, stream, conn, prompt)
        if fault is not None:
            return await self._fault(fault, writer, reader, rng, stream=stream, model=model, name=name)
        return await self._ok(writer, name, model, prompt, stream)

    def _record(self, name: str, method: str, path: str, fault: str | None, stream: bool, conn: int,
                prompt: str) -> None:
        entry = Logged(time=time.time(), server=name, method=method, path=path, fault=fault,
                       stream=stream, connection=conn, prompt=prompt[:200])
        with self._lock:
            self._log.append(entry)

    # -- answers ---------------------------------------------------------------------------------------
    def _pieces(self, name: str) -> list[str]:
        return [f"{name}:", *(f" word{i}" for i in range(self.words))]

    async def _ok(self, writer: asyncio.StreamWriter, name: str, model: str, prompt: str,
                  stream: bool, cut: int | None = None) -> bool | None:
        pieces = self._pieces(name)
        usage = {"prompt_tokens": max(1, len(prompt) // 4), "completion_tokens": len(pieces),
                 "total_tokens": max(1, len(prompt) // 4) + len(pieces)}
        if not stream:
            return await self._json(writer, 200, {
                "id": "chatcmpl-fault", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(pieces)},
                             "finish_reason": "stop"}],
                "usage": usage})
        base = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 0, "model": model}
        chunks = [base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}]
        chunks += [base | {"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
                   for p in pieces]
        chunks.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append(base | {"choices": [], "usage": usage})
        events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
        await self._send(writer, _head(200, {"content-type": "text/event-stream"}, chunked=True))
        for n, event in enumerate(events):
            if cut is not None and n >= cut:
                _reset(writer)
                return None
            await self._send(writer, b"%x\r\n%s\r\n" % (len(event), event))
        await self._send(writer, b"0\r\n\r\n")
        return True

    async def _fault(self, fault: str, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                     rng: random.Random, *, stream: bool, model: str, name: str) -> bool | None:
        if fault in _ERRORS:
            message, kind, code = _ERRORS[fault]
            headers = {"retry-after": f"{self.retry_after:g}"} if fault == "429" else {}
            return await self._json(writer, int(fault), {"error": {"message": message, "type": kind,
                                                                   "code": code}}, headers)
        if fault == "reset":
            _reset(writer)
            return None
        if fault == "slow":
            try:
                gone = await asyncio.wait_for(reader.read(1), timeout=self.slow) == b""
            except TimeoutError:
                gone = False
            if gone:
                return False  # the client gave up and closed its end
            return await self._ok(writer, name, model, "", stream)
        if fault == "cut":
            if stream:
                return await self._ok(writer, name, model, "", stream, cut=rng.choice(self.cut_events))
            body = json.dumps({"id": "chatcmpl-fault", "object": "chat.completion", "model": model,
                               "choices": [{"index": 0, "message": {"role": "assistant", "content":
                                            "".join(self._pieces(name))}, "finish_reason": "stop"}]})
            data = body.encode()
            await self._send(writer, _head(200, {"content-type": "application/json"}, length=len(data)))
            await self._send(writer, data[: len(data) // 2])
            _reset(writer)
            return None
        assert fault == "malformed"
        if stream:
            await self._send(writer, _head(200, {"content-type": "text/event-stream"}, chunked=True))
            event = b'data: {"id": "chatcmpl-fault", "choices": [{"delta": {"content": "wo\n\n'
            await self._send(writer, b"%x\r\n%s\r\n0\r\n\r\n" % (len(event), event))
            return True
        data = b'{"id": "chatcmpl-fault", "object": "chat.completion", "choices": ['
        await self._send(writer, _head(200, {"content-type": "application/json"}, length=len(data)) + data)
        return True

    async def _json(self, writer: asyncio.StreamWriter, status: int, data: Any,
                    headers: Mapping[str, str] | None = None) -> bool:
        body = json.dumps(data).encode()
        await self._send(writer, _head(status, {"content-type": "application/json", **(headers or {})},
                                       length=len(body)) + body)
        return True

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()


def _prompt(request: Mapping[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _head(status: int, headers: Mapping[str, str], *, length: int | None = None,
          chunked: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        lines.append("transfer-encoding: chunked")
    elif length is not None:
        lines.append(f"content-length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset, as a crashed server or proxy would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
