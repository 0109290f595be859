"""One Ollama server: its URL, the HTTP client to reach it, and requests with their errors mapped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import attrs
import httpx

from modelplex import ProviderContext, SecretHeaders
from modelplex.errors import ResponseParseError
from modelplex_ollama.config import base_url
from modelplex_ollama.errors import map_error, unreachable

_STATE = "modelplex_ollama.server"


def _headers(ctx: ProviderContext) -> SecretHeaders:
    key = ctx.settings.api_key
    return SecretHeaders({"Authorization": f"Bearer {key.reveal()}"} if key else {})


@attrs.frozen(kw_only=True)
class OllamaAPI:
    """Requests to the server at ``base_url`` through ``http``; ``provider`` names it in errors.

    Every error Ollama answers becomes a Modelplex error; a connection that fails becomes a
    :class:`~modelplex.errors.TransportError` saying Ollama is not reachable at ``base_url``.
    """

    http: httpx.AsyncClient
    base_url: str
    provider: str = "ollama"
    headers: Mapping[str, str] = attrs.field(factory=dict)
    # The configured provider's context, when there is one: its post_json sends JSON bodies the lean way.
    ctx: ProviderContext | None = attrs.field(default=None, repr=False)

    @classmethod
    def of(cls, ctx: ProviderContext) -> OllamaAPI:
        """The server of a configured provider, through its pooled client. Its URL and headers depend
        on the settings alone, so they are worked out once per configured provider."""
        http = ctx.http
        api: OllamaAPI | None = ctx.state.get(_STATE)
        if api is None or api.http is not http:  # the context's client is rebuilt after it is closed
            api = ctx.state[_STATE] = cls(http=http, base_url=base_url(ctx.settings), provider=ctx.name,
                                          headers=_headers(ctx), ctx=ctx)
        return api

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _error(self, model: str | None, response: httpx.Response) -> Exception:
        return map_error(self.provider, model, response.status_code, response.content,
                         response.headers, response.reason_phrase)

    async def request(self, method: str, path: str, *, body: Any = None,
                      model: str | None = None) -> httpx.Response:
        """The answer to one request, read whole; an error status raises the mapped error."""
        try:
            if self.ctx is not None and method == "POST" and body is not None:
                response = await self.ctx.post_json(self.url(path), body, self.headers)
            else:
                response = await self.http.request(method, self.url(path), json=body, headers=self.headers)
        except httpx.TransportError as exc:
            raise unreachable(self.provider, model, self.base_url, exc) from exc
        if response.status_code >= 400:
            raise self._error(model, response)
        return response

    async def json(self, method: str, path: str, *, body: Any = None, model: str | None = None) -> Any:
        response = await self.request(method, path, body=body, model=model)
        try:
            return json.loads(response.content)
        except ValueError:
            raise ResponseParseError(f"{method} {path} answered something that is not JSON: "
                                     f"{response.text[:200]!r}", provider=self.provider,
                                     model=model) from None

    @asynccontextmanager
    async def stream(self, method: str, path: str, *, body: Any,
                     model: str | None = None) -> AsyncIterator[httpx.Response]:
        """A streaming answer, closed when the block is left; an error status raises before."""
        headers = {**self.headers, "Accept": "application/x-ndjson"}
        async with AsyncExitStack() as stack:
            try:
                response = await stack.enter_async_context(
                    self.http.stream(method, self.url(path), json=body, headers=headers))
            except httpx.TransportError as exc:
                raise unreachable(self.provider, model, self.base_url, exc) from exc
            if response.status_code >= 400:
                await response.aread()
                raise self._error(model, response)
            yield response
