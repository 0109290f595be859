"""Settles each request's key limits once its response has ended (a stream's last event sent, or the
client gone): pure ASGI, so a streamed response is not buffered."""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Receive, Scope, Send

from modelplex_gateway.keys.authenticator import SETTLE_KEY


class SettleLimits:
    """Gives each HTTP request a list the authenticator appends settle callbacks to; runs them, shielded
    from cancellation, when the application is done with the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
