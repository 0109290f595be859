"""``POST /chat``: the product brief's own chat route (filled in below)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from modelplex_gateway.errors import GatewayError


async def chat(request: Request) -> Response:
    """Not written yet."""
    raise GatewayError(501, "api_error", "POST /chat is not available yet", code="not_implemented")
