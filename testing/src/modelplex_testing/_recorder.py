"""Capturing real exchanges into recordings: :class:`Recorder`, an httpx transport between a client and
a real server.

::

    recorder = Recorder(Path("tests/fixtures/01_chat_text.json"), description="plain chat")
    async with modelplex.AsyncClient(transport=recorder, ...) as client:
        await client.chat("acme/acme-1", [Message.user("Hello")])
    recorder.written  # [PosixPath('tests/fixtures/01_chat_text.json')]

Each exchange is written once its response body has been read to the end (a stream as it passed, byte
for byte), with the credentials scrubbed before anything reaches the disk: only the headers the format
keeps are written, key-bearing query parameters are dropped, and every value those carried (and every
secret given) is replaced by ``REDACTED`` wherever it shows in the URL or the bodies.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from modelplex_testing.recording import (
    FORMAT,
    REQUEST_HEADERS,
    RESPONSE_HEADERS,
    SECRET_HEADERS,
    SECRET_QUERY,
    is_stream_type,
    validate_data,
)

__all__ = ["REDACTED", "Recorder"]

REDACTED = "REDACTED"
_AUTH_SCHEMES = ("bearer ", "basic ", "token ")


class Recorder(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Forwards every request to ``transport`` (a real connection by default) and writes each exchange to
    ``path``, the second to ``<stem>-2.json`` beside it and so on.

    ``secrets`` are scrubbed besides the values of the credential headers and query parameters that the
    requests carry; ``source`` is merged into the file's ``source`` (``kind`` is ``"recorded"``).
    """

    def __init__(self, path: str | Path, *, description: str, secrets: Iterable[str] = (),
                 source: dict[str, Any] | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        self.path = Path(path)
        self.description = description
        self.written: list[Path] = []
        self._secrets = {s for s in secrets if s}
        self._source = dict(source or {})
        self._async = transport if isinstance(transport, httpx.AsyncBaseTransport) else None
        self._sync = transport if isinstance(transport, httpx.BaseTransport) else None
        self._count = 0

    # -- the transport ---------------------------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on, and hand back its response with a body that records itself as it is read."""
        if self._async is None:
            self._async = httpx.AsyncHTTPTransport()
        await request.aread()
        response = await self._async.handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        tee = _AsyncTee(stream, lambda raw: self._finish(request, response, raw))
        return httpx.Response(response.status_code, headers=response.headers, stream=tee,
                              extensions=response.extensions)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The synchronous :meth:`handle_async_request`."""
        if self._sync is None:
            self._sync = httpx.HTTPTransport()
        request.read()
        response = self._sync.handle_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        tee = _SyncTee(stream, lambda raw: self._finish(request, response, raw))
        return httpx.Response(response.status_code, headers=response.headers, stream=tee,
                              extensions=response.extensions)

    async def aclose(self) -> None:
        """Close the transport this one forwards to."""
        if self._async is not None:
            await self._async.aclose()

    def close(self) -> None:
        """Close the synchronous transport this one forwards to."""
        if self._sync is not None:
            self._sync.close()

    # -- the file --------------------------------------------------------------------------------
    def _finish(self, request: httpx.Request, response: httpx.Response, raw: bytes) -> None:
        # The transport's bytes are as they travelled: undo any content-encoding as httpx would.
        body = httpx.Response(response.status_code, headers=response.headers, content=raw).read()
        data = self.scrubbed(request, response.status_code, response.headers, body)
        self._count += 1
        path = self.path if self._count == 1 else self.path.with_name(
            f"{self.path.stem}-{self._count}{self.path.suffix}")
        validate_data(data, path)  # the recorder writes nothing the replayer could not read
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.written.append(path)

    def scrubbed(self, request: httpx.Request, status: int, headers: httpx.Headers,
                 body: bytes) -> dict[str, Any]:
        """The exchange as a recording, every secret out of it."""
        secrets = set(self._secrets)
        for name, value in request.headers.items():
            if name.lower() in SECRET_HEADERS:
                secrets.add(value)
                if value.lower().startswith(_AUTH_SCHEMES):
                    secrets.add(value.split(" ", 1)[1].strip())
        parts = urlsplit(str(request.url))
        query = parse_qsl(parts.query, keep_blank_values=True)
        secrets.update(v for k, v in query if k.lower() in SECRET_QUERY)
        secrets = {s for s in secrets if s}
        kept_query = [(k, v) for k, v in query if k.lower() not in SECRET_QUERY]
        url = urlunsplit(parts._replace(query=urlencode(kept_query)))

        content_type = headers.get("content-type", "")
        response: dict[str, Any] = {"status": status, "headers": {
            k.lower(): _scrub(v, secrets) for k, v in headers.items() if k.lower() in RESPONSE_HEADERS}}
        text = body.decode("utf-8", "replace")
        parsed = _json(text) if not is_stream_type(content_type) else _NOT_JSON
        if parsed is _NOT_JSON:
            response["body_text"] = _scrub(text, secrets)
        else:
            response["body"] = _scrub_json(parsed, secrets)

        record: dict[str, Any] = {
            "method": request.method, "url": _scrub(url, secrets),
            "headers": {k.lower(): _scrub(v, secrets) for k, v in request.headers.items()
                        if k.lower() in REQUEST_HEADERS}}
        if request.content:
            sent = _json(request.content.decode("utf-8", "replace"))
            record["body"] = _scrub_json(
                sent if sent is not _NOT_JSON else request.content.decode("utf-8", "replace"), secrets)
        source = {"kind": "recorded", "recorder": "modelplex-testing",
                  "recorded_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  **self._source}
        return {"format": FORMAT, "source": _scrub_json(source, secrets), "description": self.description,
                "request": record, "response": response}


_NOT_JSON: Any = object()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _scrub(text: str, secrets: set[str]) -> str:
    # Longest first: a key that contains another key is replaced whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _scrub_json(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, list):
        return [_scrub_json(v, secrets) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub_json(v, secrets) for k, v in value.items()}
    return value


class _AsyncTee(httpx.AsyncByteStream):
    """The body as it arrives, kept; handed to ``done`` once it has all been read. A client that stops
    reading early (at a stream's ``[DONE]`` or its finish event) has the rest read for it when it closes
    the body: the recording is the whole exchange, not the part one client needed."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner = inner
        self._chunks = _Chunks(done)
        self._iter: AsyncIterator[bytes] | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._iter = self._inner.__aiter__()
        async for chunk in self._iter:
            self._chunks.add(chunk)
            yield chunk
        self._chunks.finish()

    async def aclose(self) -> None:
        if self._iter is not None and not self._chunks.finished:
            async for chunk in self._iter:
                self._chunks.add(chunk)
            self._chunks.finish()
        await self._inner.aclose()


class _SyncTee(httpx.SyncByteStream):
    """The synchronous :class:`_AsyncTee`."""

    def __init__(self, inner: httpx.SyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner = inner
        self._chunks = _Chunks(done)
        self._iter: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        self._iter = iter(self._inner)
        for chunk in self._iter:
            self._chunks.add(chunk)
            yield chunk
        self._chunks.finish()

    def close(self) -> None:
        if self._iter is not None and not self._chunks.finished:
            for chunk in self._iter:
                self._chunks.add(chunk)
            self._chunks.finish()
        self._inner.close()


class _Chunks:
    """What a tee has seen; ``done`` is called once, with all of it."""

    def __init__(self, done: Callable[[bytes], None]) -> None:
        self.done = done
        self.parts: list[bytes] = []
        self.finished = False

    def add(self, chunk: bytes) -> None:
        self.parts.append(chunk)

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.done(b"".join(self.parts))
