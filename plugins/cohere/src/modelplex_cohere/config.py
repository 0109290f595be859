"""Where Cohere's endpoints are, the headers every request carries, and the one way an answer is read."""

from __future__ import annotations

from typing import Any

import httpx

from modelplex import ProviderContext, SecretHeaders
from modelplex.toolkit import Reader
from modelplex_cohere.errors import map_error


def url(ctx: ProviderContext, path: str) -> str:
    """``path`` (``v2/chat``, ``v1/models``) under the base URL (the default one means it is always set)."""
    return ctx.memo(f"cohere.url.{path}", lambda: f"{str(ctx.settings.base_url).rstrip('/')}/{path}")


def headers(ctx: ProviderContext) -> SecretHeaders:
    """The key as a bearer token, built once per provider; a SecretHeaders shows no value in any repr.
    The user's configured headers are on ``ctx.http`` already: they are not added here."""
    return ctx.memo("cohere.headers",
                    lambda: SecretHeaders({"Authorization": f"Bearer {ctx.api_key()}"}))


def json_body(ctx: ProviderContext, model: str | None, response: httpx.Response) -> Any:
    """The JSON of a whole answer; an error status as the typed error, a body that is no JSON as a
    ``ResponseParseError``."""
    if response.status_code >= 400:
        raise map_error(provider=ctx.name, model=model, status=response.status_code, body=response.content,
                        headers=response.headers, reason=response.reason_phrase)
    return Reader(provider=ctx.name, model=model).json(response.content)
