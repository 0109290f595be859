"""The read loop of a streamed reply in Server-Sent Events, written once for every plugin.

:func:`sse_stream` is the one async generator between the response's bytes and the typed events: it
decodes the events, hands each to the plugin's :class:`SSEHandler` and yields what that returns. A
plugin returns it from its ``chat_stream`` rather than wrapping it in a generator of its own, so an
event passes through no more generator layers than a loop written inline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from modelplex._bounds import bounds_of
from modelplex.errors import StreamInterruptedError
from modelplex.toolkit.sse import EventTooLargeError, SSEDecoder, SSEEvent

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class SSEHandler(Protocol[T_co]):
    """What a plugin gives :func:`sse_stream`: how one provider's events become typed events."""

    @property
    def done(self) -> bool:
        """The provider said the reply is over: stop reading (checked after every event)."""
        ...

    def event(self, sse: SSEEvent) -> Iterable[T_co]:
        """The typed events of one server-sent event (raise for an error event or a bad one)."""
        ...

    def end(self, broken: Exception | None, pending: bool) -> Iterable[T_co]:
        """The last typed events, once reading stops: after :attr:`done`, at the end of the bytes,
        or when the connection broke (``broken``, the transport's exception). ``pending`` says the
        bytes ended in the middle of an event. Raise :func:`interrupted`'s error when the reply was
        cut off before its end."""
        ...


def interrupted(*, provider: str, model: str | None, broken: Exception | None, pending: bool,
                before: str) -> StreamInterruptedError:
    """The error for a stream cut off before ``before`` (``"message_stop"``, ``"its finish reason"``):
    the connection broke, the bytes ended in the middle of an event, or they ended too early."""
    if broken is not None:
        why = f"the connection broke mid-stream ({type(broken).__name__})"
    else:
        why = "the stream ended in the middle of an event" if pending else "the stream ended"
    return StreamInterruptedError(f"{why} before {before}", provider=provider, model=model)


async def sse_stream(response: httpx.Response, handler: SSEHandler[T], *,
                     first: Iterable[T] = ()) -> AsyncIterator[T]:
    """``first``, then the typed events ``handler`` makes of the response's server-sent events, then
    those of :meth:`SSEHandler.end`.

    Reading stops when the handler is :attr:`~SSEHandler.done`; the rest of the body is not read.
    The transport's exception, when the connection breaks, is handed to :meth:`SSEHandler.end`
    rather than raised, so the handler decides whether what arrived was whole. An event larger than
    the provider's ``max_event_bytes`` is a :class:`~modelplex.errors.ResponseParseError`.
    """
    import httpx

    for item in first:
        yield item
    bounds = bounds_of(response)
    decoder = SSEDecoder(bounds.max_event_bytes)
    feed, handle = decoder.feed, handler.event
    try:
        async for chunk in response.aiter_bytes():
            for sse in feed(chunk):
                for item in handle(sse):
                    yield item
                if handler.done:
                    for item in handler.end(None, False):
                        yield item
                    return
    except httpx.TransportError as exc:
        for item in handler.end(exc, decoder.pending):
            yield item
        return
    except EventTooLargeError:
        raise bounds.event_too_large() from None
    for sse in decoder.close():
        for item in handle(sse):
            yield item
        if handler.done:
            break
    for item in handler.end(None, decoder.pending and not handler.done):
        yield item
