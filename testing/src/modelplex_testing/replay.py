"""Replay recorded provider traffic through ``httpx.MockTransport`` and keep what the plugin sent.

Recordings are in the format ``docs/recordings.md`` specifies (and ``modelplex_testing.recording.validate``
checks): one exchange per file, with ``request`` (method, url, headers, body) and ``response`` (status,
headers, and ``body`` as parsed JSON or ``body_text`` for SSE, NDJSON and other raw payloads).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx


@attrs.frozen(kw_only=True)
class Recording:
    """One recorded exchange, as read from its file (:meth:`load`); the fields are the file's own."""

    path: Path
    description: str
    source: dict[str, Any]
    request: dict[str, Any]
    response: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """The recording at ``path`` (not validated: :func:`modelplex_testing.recording.validate` does)."""
        path = Path(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path=path, description=data.get("description", ""), source=data.get("source", {}),
                   request=data["request"], response=data["response"])

    @property
    def status(self) -> int:
        """The response's HTTP status."""
        return int(self.response["status"])

    @property
    def content_type(self) -> str:
        """The response's content type; ``application/json`` when the recording kept none."""
        headers = {k.lower(): v for k, v in self.response.get("headers", {}).items()}
        return str(headers.get("content-type", "application/json"))

    @property
    def is_stream(self) -> bool:
        """Whether the response is an event stream (SSE or NDJSON) kept as ``body_text``."""
        return "body_text" in self.response and any(
            t in self.content_type for t in ("event-stream", "ndjson"))

    @property
    def request_path(self) -> str:
        """The path of the recorded request's URL."""
        return urlsplit(str(self.request["url"])).path

    @property
    def request_body(self) -> Any:
        """The recorded request body (parsed JSON), ``None`` when it had none."""
        return self.request.get("body")

    def body_bytes(self) -> bytes:
        """The response body as the replayer serves it: ``body_text`` as UTF-8, else ``body`` as JSON."""
        if "body_text" in self.response:
            return str(self.response["body_text"]).encode("utf-8")
        return json.dumps(self.response.get("body")).encode("utf-8")


class ChunkedStream(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A response body delivered in the given chunks, which knows whether it was closed."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = list(chunks)
        self.delivered = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.delivered += 1
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.delivered += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True


class Replayer:
    """Serves recordings in order; ``sent`` holds every request the plugin made, ``streams`` every body.

    ``chunks`` splits each response body (for chunk-boundary tests); ``truncate`` keeps only that many
    bytes of it (a connection that drops mid-stream).
    """

    def __init__(self, *recordings: Recording, chunks: Sequence[bytes] | None = None,
                 truncate: int | None = None) -> None:
        self.recordings = list(recordings)
        self.sent: list[httpx.Request] = []
        self.streams: list[ChunkedStream] = []
        self._chunks = chunks
        self._truncate = truncate
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        index = len(self.sent)
        self.sent.append(request)
        if index >= len(self.recordings):
            return httpx.Response(599, json={"error": {"message": "replay: no recording left for "
                                                       f"{request.method} {request.url}"}})
        rec = self.recordings[index]
        body = rec.body_bytes()
        if self._chunks is not None:
            chunks = list(self._chunks)
        else:
            chunks = [body[i:i + 512] for i in range(0, len(body), 512)] or [b""]
        if self._truncate is not None:
            chunks = _truncate(chunks, self._truncate)
        stream = ChunkedStream(chunks)
        self.streams.append(stream)
        headers = {"content-type": rec.content_type}
        headers.update({k: v for k, v in rec.response.get("headers", {}).items()
                        if k.lower() != "content-type"})
        return httpx.Response(rec.status, headers=headers, stream=stream)

    def sent_json(self, index: int = -1) -> Any:
        """The body of the ``index``-th request the plugin sent, parsed."""
        return json.loads(self.sent[index].content or b"null")


def _truncate(chunks: list[bytes], size: int) -> list[bytes]:
    out: list[bytes] = []
    left = size
    for chunk in chunks:
        if left <= 0:
            break
        out.append(chunk[:left])
        left -= len(chunk)
    return out


def load_recordings(directory: str | Path) -> dict[str, Recording]:
    """Every ``*.json`` recording in ``directory``, by file stem."""
    return {p.stem: Recording.load(p) for p in sorted(Path(directory).glob("*.json"))}


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``data`` cut at the given offsets (sorted, deduplicated, empty pieces dropped)."""
    points = sorted({c for c in cuts if 0 < c < len(data)})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]
