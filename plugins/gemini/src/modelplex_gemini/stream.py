"""``streamGenerateContent?alt=sse``: SSE events, each a ``GenerateContentResponse``, as typed events.

A Gemini stream has no ``[DONE]``: its last chunk carries the ``finishReason``, and the stream is read
to its end (usage may come after). A stream that ends (or whose connection breaks) before any chunk
said so was cut off: :class:`StreamInterruptedError`, after the events already delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from modelplex import ProviderWarning, StreamEvent, WarningRaised
from modelplex.toolkit import SSEEvent, interrupted, loads, sse_stream
from modelplex_gemini.parse import ReplyParser

if TYPE_CHECKING:
    import httpx


class _Events:
    """The :class:`~modelplex.toolkit.SSEHandler` of a Gemini stream: every event is one response
    object for the :class:`ReplyParser`; reading goes on to the end of the bytes."""

    done = False

    def __init__(self, parser: ReplyParser) -> None:
        self.parser = parser
        self._chunk = parser.chunk

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        try:
            data = loads(sse.data)
        except ValueError:
            raise self.parser.read.error(f"a stream event is not JSON: {sse.data[:200]!r}") from None
        return self._chunk(data)

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """Usage and the finish, once a chunk said the reply was complete; else the stream was cut."""
        parser = self.parser
        if not parser.done:
            raise interrupted(provider=parser.provider, model=parser.model, broken=broken,
                              pending=pending, before="Gemini sent a finish reason") from broken
        return parser.finish()


def stream_events(parser: ReplyParser, response: httpx.Response,
                  warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    """The typed events of a streaming reply, ending with usage and the finish reason."""
    return sse_stream(response, _Events(parser), first=[WarningRaised(warning=w) for w in warnings])
