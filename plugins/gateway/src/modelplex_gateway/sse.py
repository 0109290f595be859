"""Streaming a client-library stream to the caller as server-sent events, shared by every API.

:class:`EventStream` is an ASGI response that opens the stream and waits for its first event *before*
sending the response's head: a failure to start (an unknown model, a budget refusal, every candidate
down) is then an ordinary HTTP error in the API's shape, which the SDKs raise as their typed exceptions.
After that, events are encoded by the API's :class:`Encoder`; a failure mid-stream is the encoder's
error event. Everything happens in the request's own task: the stream is opened and closed in the
same task (its cancel scopes require that), and a watcher of the connection cancels it when the caller
hangs up, so the upstream stops too and the call is recorded as cancelled with the usage seen so far.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from modelplex_gateway.errors import GatewayError, from_exception, header_items
from modelplex_gateway.timing import timer_of

if TYPE_CHECKING:
    from modelplex import ChatStream, StreamEvent


class Encoder(Protocol):
    """One API's stream grammar."""

    def start(self) -> Iterable[bytes]:
        """What is sent before the first event (an opening event, a role chunk)."""

    def event(self, event: StreamEvent) -> Iterable[bytes]:
        """What one event of the client library's stream becomes."""

    def end(self, stream: ChatStream) -> Iterable[bytes]:
        """What is sent after the last event (usage, the final event, ``[DONE]``)."""

    def failed(self, error: GatewayError) -> Iterable[bytes]:
        """What is sent when the stream fails after it has started."""

    def refused(self, error: GatewayError) -> Response:
        """The whole response for a stream that failed before its first event."""


def sse(data: bytes | str, event: str | None = None) -> bytes:
    """One server-sent event."""
    body = data.encode() if isinstance(data, str) else data
    return (b"event: " + event.encode() + b"\n" if event else b"") + b"data: " + body + b"\n\n"


class EventStream(Response):
    """Opens ``open()`` (a :class:`~modelplex.ChatStream`), then streams it through ``encoder``."""

    media_type = "text/event-stream"

    def __init__(self, open: Callable[[], ChatStream], encoder: Encoder,
                 on_error: Callable[[GatewayError], None] | None = None) -> None:
        self.open = open
        self.encoder = encoder
        self.on_error = on_error
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch, receive, group.cancel_scope)
            try:
                await self._run(scope, receive, send)
            finally:
                group.cancel_scope.cancel()

    @staticmethod
    async def _watch(receive: Receive, scope: anyio.CancelScope) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope.cancel()
                return

    def _error(self, exc: BaseException) -> GatewayError:
        error = from_exception(exc)
        if self.on_error is not None:
            self.on_error(error)
        return error

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        timer = timer_of(scope)
        try:
            stream = self.open()
            with timer.waiting():
                await stream.__aenter__()
        except Exception as exc:
            await self.encoder.refused(self._error(exc))(scope, receive, send)
            return
        exc_info: tuple[Any, Any, Any] = (None, None, None)
        try:
            events: AsyncIterator[StreamEvent] = aiter(stream)
            try:
                with timer.waiting():
                    first = await anext(events)
            except StopAsyncIteration:
                first = None
            except Exception as exc:
                exc_info = (type(exc), exc, exc.__traceback__)
                await self.encoder.refused(self._error(exc))(scope, receive, send)
                return
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._body(send, self.encoder.start())
            try:
                if first is not None:
                    await self._body(send, self.encoder.event(first))
                    async for event in timer.each(events):
                        await self._body(send, self.encoder.event(event))
            except Exception as exc:
                exc_info = (type(exc), exc, exc.__traceback__)
                await self._body(send, self.encoder.failed(self._error(exc)), more=False)
                return
            await self._body(send, self.encoder.end(stream), more=False)
        except BaseException as exc:  # cancelled: the caller hung up, or the server is stopping
            exc_info = (type(exc), exc, exc.__traceback__)
            raise
        finally:
            with anyio.CancelScope(shield=True):  # the usage row is written even when cancelled
                await stream.__aexit__(*exc_info)

    @staticmethod
    async def _body(send: Send, chunks: Iterable[bytes], more: bool = True) -> None:
        data = b"".join(chunks)
        if data or not more:
            await send({"type": "http.response.body", "body": data, "more_body": more})


def error_json(error: GatewayError, body: dict[str, Any]) -> Response:
    """A refused stream's response: ``body`` with ``error``'s status and retry headers."""
    response = JSONResponse(body, status_code=error.status)
    response.raw_headers.extend(header_items(error.headers))
    return response
