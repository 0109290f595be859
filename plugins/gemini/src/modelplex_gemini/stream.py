"""``streamGenerateContent?alt=sse``: SSE events, each a ``GenerateContentResponse``, as typed events.

A Gemini stream has no ``[DONE]``: its last chunk carries the ``finishReason``. A stream that ends
(or whose connection breaks) before any chunk said so was cut off: :class:`StreamInterruptedError`,
after the events already delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from modelplex_openai_compat import SSEDecoder
from modelplex_openai_compat.jsonwire import loads as _loads

from modelplex import ProviderWarning, StreamEvent, WarningRaised
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_gemini.parse import ReplyParser

if TYPE_CHECKING:
    import httpx




def _load(parser: ReplyParser, data: str) -> Any:
    try:
        return _loads(data)
    except ValueError:
        raise ResponseParseError(f"a stream event is not JSON: {data[:200]!r}",
                                 provider=parser.provider, model=parser.model) from None


async def stream_events(parser: ReplyParser, response: httpx.Response,
                        warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    """The typed events of a streaming reply, ending with usage and the finish reason."""
    import httpx

    for warning in warnings:
        yield WarningRaised(warning=warning)
    decoder = SSEDecoder()
    broken: httpx.TransportError | None = None
    feed, parse = decoder.feed, parser.chunk
    try:
        async for chunk in response.aiter_bytes():
            for sse in feed(chunk):
                for event in parse(_load(parser, sse.data)):
                    yield event
    except httpx.TransportError as exc:
        broken = exc
    else:
        for sse in decoder.close():
            for event in parser.chunk(_load(parser, sse.data)):
                yield event
    if not parser.done:
        why = (f"the connection broke ({type(broken).__name__})" if broken is not None
               else "the stream ended")
        raise StreamInterruptedError(f"{why} before Gemini sent a finish reason",
                                     provider=parser.provider, model=parser.model) from broken
    for event in parser.finish():
        yield event
