"""Settles each request's key limits once its response has ended (a stream's last event sent, or the
client gone): pure ASGI, so a streamed response is not buffered. At the server's shutdown, which comes
after every request in flight has ended, closes the keys' connections."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelplex_gateway.keys.authenticator import SETTLE_KEY


class SettleLimits:
    """Gives each HTTP request a list the authenticator appends settle callbacks to; runs them, shielded
    from cancellation, when the application is done with the request."""

    def __init__(self, app: ASGIApp, on_shutdown: Callable[[], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.on_shutdown is not None:
            await self.app(scope, self._closing(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settles: list[object] = []
        scope[SETTLE_KEY] = settles
        try:
            await self.app(scope, receive, send)
        finally:
            if settles:
                import anyio

                with anyio.CancelScope(shield=True):
                    for settle in settles:
                        # A limit store that fails to settle leaves the reservation to its lease.
                        with contextlib.suppress(Exception):
                            await settle()  # type: ignore[operator]

    def _closing(self, receive: Receive) -> Receive:
        close = self.on_shutdown

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and close is not None:
                with contextlib.suppress(Exception):  # a failed close must not stop the shutdown
                    await close()
            return message
        return wrapped
