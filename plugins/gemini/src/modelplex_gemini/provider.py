"""The Gemini API over HTTP: where it is, how the key travels, and the chat calls."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from modelplex import ChatRequest, ChatResponse, ProviderContext, SecretHeaders, StreamEvent
from modelplex.errors import APIStatusError
from modelplex.toolkit import read_json
from modelplex_gemini.errors import map_error
from modelplex_gemini.parse import ReplyParser, parse_reply
from modelplex_gemini.request import build_body
from modelplex_gemini.stream import stream_events
from modelplex_gemini.tools import GeminiToolCodec

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_API_VERSION = "v1beta"
_URLS = "modelplex_gemini.urls"
_HEADERS, _STREAM_HEADERS = "modelplex_gemini.headers", "modelplex_gemini.stream_headers"
_CODEC = "modelplex_gemini.codec"
_VERSION_TAIL = re.compile(r"/(v\d+(?:alpha|beta)?\d*)$")


def api_root(ctx: ProviderContext) -> str:
    """``<base URL>/<api version>``: the base is scheme and host (``GEMINI_BASE_URL``), the version
    ``api_version`` (default ``v1beta``); a base that already ends in a version keeps it."""
    base = (ctx.settings.base_url or DEFAULT_BASE_URL).rstrip("/")
    version: Any = ctx.settings.options.get("api_version")
    tail = _VERSION_TAIL.search(base)
    if tail is not None:
        base, version = base[:tail.start()], version or tail.group(1)
    return f"{base}/{version or DEFAULT_API_VERSION}"


def model_path(model: str) -> str:
    """``gemini-2.5-flash`` -> ``models/gemini-2.5-flash``; ``models/...`` and ``tunedModels/...``
    are kept as given."""
    model = model.strip("/")
    return quote(model, safe="/") if "/" in model else f"models/{quote(model, safe='')}"


def method_url(ctx: ProviderContext, model: str, method: str) -> str:
    """Worked out once per configured provider, model and method (it depends on nothing else)."""
    urls: dict[tuple[str, str], str] = ctx.memo(_URLS, dict)
    url = urls.get((model, method))
    if url is None:
        url = urls[(model, method)] = f"{api_root(ctx)}/{model_path(model)}:{method}"
    return url


def headers(ctx: ProviderContext, *, stream: bool = False) -> SecretHeaders:
    """The key goes in ``x-goog-api-key``, never in the URL. Worked out on the first call."""
    return ctx.memo(_STREAM_HEADERS if stream else _HEADERS, lambda: SecretHeaders({
        "x-goog-api-key": ctx.api_key(), "Accept": "text/event-stream" if stream else "application/json"}))


def codec(ctx: ProviderContext) -> GeminiToolCodec:
    return ctx.memo(_CODEC, lambda: GeminiToolCodec(ctx.name))


def error(ctx: ProviderContext, model: str | None, response: httpx.Response) -> APIStatusError:
    """The mapped error of a response that was already read."""
    return map_error(ctx.name, model, response.status_code, response.content, response.headers,
                     response.reason_phrase)


def json_body(ctx: ProviderContext, model: str | None, response: httpx.Response) -> Any:
    """The JSON of a reply that was already read; an error status is raised as its error."""
    if response.status_code >= 400:
        raise error(ctx, model, response)
    return read_json(response.content, provider=ctx.name, model=model,
                     what=f"the response (HTTP {response.status_code})")


async def chat(ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
    body, warnings = build_body(request, ctx.name, codec(ctx))
    response = await ctx.post_json(method_url(ctx, request.model, "generateContent"), body, headers(ctx))
    return parse_reply(json_body(ctx, request.model, response), ctx.name, request, warnings)


@asynccontextmanager
async def chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AsyncIterator[AsyncIterator[StreamEvent]]):
    """Leaving the block closes the HTTP response."""
    body, warnings = build_body(request, ctx.name, codec(ctx))
    url = method_url(ctx, request.model, "streamGenerateContent")
    async with ctx.http.stream("POST", url, params={"alt": "sse"}, json=body,
                               headers=headers(ctx, stream=True)) as response:
        if response.status_code >= 400:
            await response.aread()
            raise error(ctx, request.model, response)
        yield stream_events(ReplyParser(ctx.name, request), response, warnings)
