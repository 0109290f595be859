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

PIECE = 256 * 1024  # the most decoded bytes one step of a stream yields, whatever the compression's ratio
STEP = 1024 * 1024  # the same for a whole reply: most replies inflate in one
ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
ENCODED_HEADERS = frozenset((b"content-encoding", b"content-length"))  # they describe the encoded body


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

    def _decompress(self, data: bytes, most: int) -> bytes:
        try:
            out = self._z.decompress(data, most)
        except zlib.error as exc:
            if not (self._name == "deflate" and self._first):
                raise httpx.DecodingError(f"the {self._name} body cannot be decoded: {exc}") from None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as httpx also accepts
            self._first = False
            return self._decompress(data, most)
        self._first = False
        return out

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, at most :data:`PIECE` at a time."""
        while True:
            out = self._decompress(data, PIECE)
            data = self._z.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < PIECE:
                return

    def whole(self, data: bytes, bounds: Bounds) -> bytes:
        """All of ``data`` decoded, refused once past ``bounds.max_response_bytes``: one step for
        a reply of a usual size, then steps of :data:`STEP` into one buffer (so a bomb costs the
        limit, once)."""
        limit = bounds.max_response_bytes
        out = self._decompress(data, STEP)
        data = self._z.unconsumed_tail
        if data or len(out) == STEP:
            grown = bytearray(out)
            while data or len(out) == STEP:
                out = self._decompress(data, STEP)
                data = self._z.unconsumed_tail
                grown += out
                if len(grown) > limit:
                    raise bounds.response_too_large()
            out = bytes(grown)
        out += self.flush()
        if len(out) > limit:
            raise bounds.response_too_large()
        return out

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


def inflate_whole(body: bytes, names: Sequence[str], bounds: Bounds) -> bytes:
    """``body`` with its codings undone, refused once past ``bounds.max_response_bytes``."""
    for name in names:
        body = _Zlib(name).whole(body, bounds)
    return body


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
        headers = [(k, v) for k, v in _items(headers) if k.lower() not in ENCODED_HEADERS]
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
