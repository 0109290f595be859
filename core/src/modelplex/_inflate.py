"""Response bodies decoded in bounded pieces, and whole reads that stop at the provider's limit.

httpx inflates each received chunk in one call, whatever it inflates to: a 64 KiB chunk of a gzip bomb
becomes 64 MiB at once, and a 1 MiB reply 1 GiB. Here the transports undo ``gzip`` and ``deflate``
themselves, at most :data:`PIECE` bytes a step, and hand httpx the decoded body (without the
``Content-Encoding`` and ``Content-Length`` that described the encoded one, as a decoding proxy would).
:class:`BoundedResponse` reads a whole body only up to the provider's ``max_response_bytes``; a stream
is bounded per event by the toolkit's decoders instead.

Other codings (``br``, ``zstd``) are left to httpx as before; the client asks for ``gzip, deflate``
only, so a server sends them only against the request.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx

from modelplex._bounds import EXTENSION, UNKNOWN, Bounds

PIECE = 256 * 1024  # the most decoded bytes one step yields, whatever the compression's ratio
ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_DROPPED = frozenset((b"content-encoding", b"content-length"))


def codings(value: str | None) -> list[str] | None:
    """The codings of a ``Content-Encoding`` value to undo, last applied first; ``None`` when one of
    them is not ``gzip``/``deflate`` (the body is then left to httpx)."""
    if not value:
        return []
    names = [name.strip().lower() for name in value.split(",")]
    if not all(name in _WBITS or name in ("identity", "") for name in names):
        return None
    return [name for name in reversed(names) if name in _WBITS]


class _Zlib:
    """One ``gzip`` or ``deflate`` coding, undone at most :data:`PIECE` bytes a step."""

    __slots__ = ("_first", "_name", "_z")

    def __init__(self, name: str) -> None:
        self._name = name
        self._z = zlib.decompressobj(_WBITS[name])
        self._first = True

    def pieces(self, data: bytes) -> Iterator[bytes]:
        z = self._z
        while True:
            try:
                out = z.decompress(data, PIECE)
            except zlib.error as exc:
                if self._name == "deflate" and self._first:  # raw deflate, as httpx also accepts
                    self._first = False
                    self._z = z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(f"the {self._name} body cannot be decoded: {exc}") from None
            self._first = False
            data = z.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < PIECE:
                return

    def flush(self) -> bytes:
        return self._z.flush()  # what zlib still holds: at most its window, since input was drained


def _through(stages: Sequence[_Zlib], data: bytes) -> Iterator[bytes]:
    if not stages:
        yield data
        return
    for piece in stages[0].pieces(data):
        yield from _through(stages[1:], piece)


def _ends(stages: Sequence[_Zlib]) -> Iterator[bytes]:
    for i, stage in enumerate(stages):
        tail = stage.flush()
        if tail:
            yield from _through(stages[i + 1:], tail)


class DecodedStream(httpx.AsyncByteStream):
    """Another body stream with its codings undone, in pieces of at most :data:`PIECE` bytes."""

    __slots__ = ("_names", "_raw")

    def __init__(self, raw: Any, names: Sequence[str]) -> None:
        self._raw = raw
        self._names = names

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stages = [_Zlib(name) for name in self._names]
        async for chunk in self._raw:
            for piece in _through(stages, chunk):
                yield piece
        for piece in _ends(stages):
            yield piece

    async def aclose(self) -> None:
        await self._raw.aclose()


def inflate_whole(body: bytes, names: Sequence[str], bounds: Bounds) -> bytearray:
    """``body`` with its codings undone, failing as soon as it passes ``bounds.max_response_bytes``."""
    stages = [_Zlib(name) for name in names]
    out = bytearray()
    limit = bounds.max_response_bytes
    for source in (_through(stages, body), _ends(stages)):
        for piece in source:
            out += piece
            if len(out) > limit:
                raise bounds.response_too_large()
    return out


class BoundedResponse(httpx.Response):
    """A response whose whole reads (``aread``, and so ``client.post``) stop past the provider's
    ``max_response_bytes``; streaming it is bounded per event by the toolkit instead."""

    async def aread(self) -> bytes:
        """The whole body, or the provider's size error once more than its limit has arrived."""
        if not hasattr(self, "_content"):
            bounds = self.extensions.get(EXTENSION, UNKNOWN)
            limit = bounds.max_response_bytes
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                await self.aclose()
                raise bounds.response_too_large()
            body = bytearray()
            async for part in self.aiter_bytes():
                body += part
                if len(body) > limit:
                    await self.aclose()
                    raise bounds.response_too_large()
            self._content = bytes(body)
        return self._content


def bounded(status_code: int, headers: Any, stream: Any, request: httpx.Request,
            extensions: dict[str, Any], bounds: Bounds) -> BoundedResponse:
    """The response a transport gives: its body decoded in bounded pieces where it is ``gzip`` or
    ``deflate``, ``bounds`` in its extensions (for the toolkit's stream decoders)."""
    names = codings(_header(headers, b"content-encoding"))
    if names:
        headers = [(k, v) for k, v in _items(headers) if k.lower() not in _DROPPED]
        stream = DecodedStream(stream, names)
    extensions[EXTENSION] = bounds
    return BoundedResponse(status_code=status_code, headers=headers, stream=stream, request=request,
                           extensions=extensions)


def _items(headers: Any) -> list[tuple[bytes, bytes]]:
    if isinstance(headers, httpx.Headers):
        return headers.raw
    return [(k if isinstance(k, bytes) else k.encode("latin-1"),
             v if isinstance(v, bytes) else v.encode("latin-1")) for k, v in headers]


def _header(headers: Any, name: bytes) -> str | None:
    """Every value of header ``name``, joined (a coding may be named on several lines)."""
    found = [value.decode("latin-1") for key, value in _items(headers) if key.lower() == name]
    return ", ".join(found) if found else None
