"""Newline-delimited JSON, as Ollama streams it: one object a line, in chunks cut anywhere.

:class:`NDJSONDecoder` keeps the bytes of an unfinished line until its newline arrives, so a chunk
may end in the middle of a line, of a JSON string or of a multi-byte character. :func:`read_lines`
reads a streaming response: a connection that breaks, or a last line cut short, is a
:class:`~modelplex.errors.StreamInterruptedError` after the objects already delivered.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import AsyncIterator
from typing import Any

import httpx
from modelplex_openai_compat.jsonwire import loads as _loads

from modelplex.errors import ResponseParseError, StreamInterruptedError


class TruncatedLineError(ValueError):
    """The data ended in the middle of a line."""


class BadLineError(ValueError):
    """A complete line that is not JSON."""




class NDJSONDecoder:
    def __init__(self) -> None:
        self._buffer = b""

    @property
    def pending(self) -> bool:
        """Bytes of an unfinished line are waiting (whitespace does not count)."""
        return bool(self._buffer.strip())

    def feed(self, chunk: bytes) -> list[Any]:
        """The objects of every line that ``chunk`` completes.

        The complete lines are decoded and split in one pass each (a newline byte is never part of a
        multi-byte character, so cutting there first is safe); the rest waits for its newline.
        """
        buffer = self._buffer + chunk if self._buffer else chunk
        end = buffer.rfind(b"\n")
        if end == -1:
            self._buffer = buffer
            return []
        self._buffer = buffer[end + 1:]
        try:
            text = buffer[:end].decode("utf-8")
        except UnicodeDecodeError:  # JSON's own rules for what is not UTF-8, line by line
            return [_parse(line) for line in buffer[:end].split(b"\n") if line.strip()]
        out = []
        for line in text.split("\n"):
            if line and not line.isspace():
                try:
                    out.append(_loads(line))
                except ValueError:
                    raise BadLineError(line[:200]) from None
        return out

    def close(self) -> list[Any]:
        """The end of the data: a last line without its newline counts if it is whole JSON."""
        rest, self._buffer = bytes(self._buffer), b""
        if not rest.strip():
            return []
        try:
            return [json.loads(rest)]
        except ValueError:
            raise TruncatedLineError(rest[:200].decode("utf-8", errors="replace")) from None


def _parse(line: bytes | bytearray) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise BadLineError(line[:200].decode("utf-8", errors="replace")) from None


async def read_lines(response: httpx.Response, provider: str, model: str | None) -> AsyncIterator[Any]:
    """The objects of a streaming response, one per line."""
    decoder = NDJSONDecoder()
    try:
        try:
            async for chunk in response.aiter_bytes():
                for item in decoder.feed(chunk):
                    yield item
        except httpx.TransportError as exc:
            raise StreamInterruptedError(f"the connection to Ollama broke mid-stream "
                                         f"({type(exc).__name__})", provider=provider,
                                         model=model) from exc
        for item in decoder.close():
            yield item
    except TruncatedLineError:
        raise StreamInterruptedError("the stream ended in the middle of a line", provider=provider,
                                     model=model) from None
    except BadLineError as exc:
        raise ResponseParseError(f"Ollama sent a line that is not JSON: {exc}", provider=provider,
                                 model=model) from None
