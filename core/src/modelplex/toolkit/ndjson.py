"""Newline-delimited JSON (one value a line, as Ollama streams it) in chunks cut anywhere.

:class:`NDJSONDecoder` keeps the bytes of an unfinished line until its newline arrives, so a chunk may
end in the middle of a line, of a JSON string or of a multi-byte character. Its cost is linear in the
bytes received however they are cut: the unfinished line is kept in pieces and only a new chunk is
searched for a newline. A line is bounded too: past ``max_line`` bytes the decoder raises
:class:`LineTooLargeError` instead of keeping what an endless line sends. :func:`ndjson_stream` reads a
streaming httpx response with it, bounded by the provider's ``max_event_bytes``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from modelplex._bounds import bounds_of
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex.toolkit.jsonread import loads

if TYPE_CHECKING:
    import httpx

_SNIPPET = 200


class TruncatedLineError(ValueError):
    """The data ended in the middle of a line."""


class BadLineError(ValueError):
    """A complete line that is not JSON."""


class LineTooLargeError(ValueError):
    """A line is longer than the decoder's ``max_line``."""


class NDJSONDecoder:
    """``feed(bytes) -> [values]``; ``close()`` at the end of the data.

    A complete line that is not JSON raises :class:`BadLineError`; data that ends in the middle of a
    line raises :class:`TruncatedLineError` from :meth:`close`. Blank lines are skipped. A line longer
    than ``max_line`` bytes (``None``: no bound) raises :class:`LineTooLargeError` once that much of
    it has arrived.
    """

    def __init__(self, max_line: int | None = None) -> None:
        self._pieces: list[bytes] = []
        self._held = 0  # bytes in _pieces
        self._max = max_line if max_line is not None else -1

    @property
    def pending(self) -> bool:
        """Bytes of an unfinished line are waiting (whitespace does not count)."""
        return any(piece.strip() for piece in self._pieces)

    def feed(self, chunk: bytes) -> list[Any]:
        """The values of every line that ``chunk`` completes.

        The complete lines are decoded and split in one pass each (a newline byte is never part of a
        multi-byte character, so cutting there first is safe); the rest waits for its newline.
        """
        end = chunk.rfind(b"\n")
        limit = self._max
        if end == -1:
            if chunk:
                self._pieces.append(chunk)
                self._held += len(chunk)
                if self._held > limit >= 0:
                    raise LineTooLargeError(f"a line of more than {limit} bytes")
            return []
        if self._pieces:
            if limit >= 0 and self._held + chunk.find(b"\n") > limit:
                raise LineTooLargeError(f"a line of more than {limit} bytes")
            self._pieces.append(chunk[:end])
            lines = b"".join(self._pieces)
        else:
            lines = chunk[:end]
        tail = chunk[end + 1:]
        self._pieces = [tail] if tail else []
        self._held = len(tail)
        if limit >= 0 and (self._held > limit or (len(lines) > limit and _longest(lines) > limit)):
            raise LineTooLargeError(f"a line of more than {limit} bytes")
        try:
            text = lines.decode("utf-8")
        except UnicodeDecodeError:  # JSON's own rules for what is not UTF-8, line by line
            return [_parse(line) for line in lines.split(b"\n") if line.strip()]
        out = []
        for line in text.split("\n"):
            if line and not line.isspace():
                try:
                    out.append(loads(line))
                except (ValueError, RecursionError):  # the second for JSON nested past Python's stack
                    raise BadLineError(line[:_SNIPPET]) from None
        return out

    def close(self) -> list[Any]:
        """The end of the data: a last line without its newline counts if it is whole JSON."""
        rest, self._pieces, self._held = b"".join(self._pieces), [], 0
        if not rest.strip():
            return []
        try:
            return [json.loads(rest)]
        except (ValueError, RecursionError):
            raise TruncatedLineError(rest[:_SNIPPET].decode("utf-8", errors="replace")) from None


def _longest(lines: bytes) -> int:
    """The length of the longest line of ``lines`` (only asked when they may hold one too long)."""
    return max(map(len, lines.split(b"\n")))


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        raise BadLineError(line[:_SNIPPET].decode("utf-8", errors="replace")) from None


async def ndjson_stream(response: httpx.Response, *, provider: str, model: str | None,
                        server: str = "the server") -> AsyncIterator[Any]:
    """The values of a streaming response, one per line.

    A connection that breaks, or a last line cut short, is a
    :class:`~modelplex.errors.StreamInterruptedError` after the values already delivered; a line that
    is not JSON a :class:`~modelplex.errors.ResponseParseError`. ``server`` names the other end in
    those messages.
    """
    import httpx

    bounds = bounds_of(response)
    decoder = NDJSONDecoder(bounds.max_event_bytes)
    feed = decoder.feed
    try:
        try:
            async for chunk in response.aiter_bytes():
                for item in feed(chunk):
                    yield item
        except httpx.TransportError as exc:
            raise StreamInterruptedError(f"the connection to {server} broke mid-stream "
                                         f"({type(exc).__name__})", provider=provider,
                                         model=model) from exc
        for item in decoder.close():
            yield item
    except TruncatedLineError:
        raise StreamInterruptedError("the stream ended in the middle of a line", provider=provider,
                                     model=model) from None
    except BadLineError as exc:
        raise ResponseParseError(f"{server} sent a line that is not JSON: {exc}", provider=provider,
                                 model=model) from None
    except LineTooLargeError:
        raise bounds.event_too_large(model, provider=provider) from None
