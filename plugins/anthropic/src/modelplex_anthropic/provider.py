"""The Anthropic provider over HTTP: ``POST /v1/messages`` (whole and streamed) and ``GET /v1/models``.

Every request goes through the pooled ``ctx.http`` client with ``x-api-key`` and
``anthropic-version``. No beta header is needed by what this plugin sends; one configured under
``headers`` (``anthropic-beta = "..."``) is sent with every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from modelplex import (
    ChatRequest,
    ChatResponse,
    ModelInfo,
    ProviderContext,
    SecretHeaders,
    StreamEvent,
)
from modelplex.errors import APIStatusError, ConfigurationError
from modelplex.toolkit import Reader, is_object, read_json, response_events
from modelplex_anthropic import api
from modelplex_anthropic.body import Plan, build_plan
from modelplex_anthropic.errors import map_error
from modelplex_anthropic.models import model_info
from modelplex_anthropic.parse import parse_message
from modelplex_anthropic.stream import stream_events
from modelplex_anthropic.tools import AnthropicToolCodec

if TYPE_CHECKING:
    import httpx

_HEADERS, _STREAM_HEADERS = "modelplex_anthropic.headers", "modelplex_anthropic.stream_headers"
_URL = "modelplex_anthropic.url:"


def url(ctx: ProviderContext, path: str) -> str:
    return ctx.memo(_URL + path, lambda: _base(ctx) + path)


def _base(ctx: ProviderContext) -> str:
    base = ctx.settings.base_url
    if not base:
        raise ConfigurationError(f"{ctx.name}: no base URL configured")
    return base.rstrip("/")


def headers(ctx: ProviderContext, *, stream: bool = False) -> SecretHeaders:
    """Worked out on the provider's first call (:meth:`ProviderContext.memo`)."""
    return ctx.memo(_STREAM_HEADERS if stream else _HEADERS, lambda: SecretHeaders({
        "x-api-key": ctx.api_key(), "anthropic-version": api.API_VERSION,
        "accept": "text/event-stream" if stream else "application/json"}))


def codec(ctx: ProviderContext) -> AnthropicToolCodec:
    return AnthropicToolCodec(provider=ctx.name)


def _error(provider: str, model: str | None, response: httpx.Response) -> APIStatusError:
    """The mapped error for an error response that was already read."""
    return map_error(provider, model, response.status_code, response.content, response.headers,
                     response.reason_phrase)


def _json(provider: str, model: str | None, response: httpx.Response) -> Mapping[str, Any]:
    """The JSON object of a reply that was already read; an error status is raised as its error."""
    if response.status_code >= 400:
        raise _error(provider, model, response)
    data = read_json(response.content, provider=provider, model=model,
                     what=f"the reply (HTTP {response.status_code})")
    return Reader(provider=provider, model=model).obj(data)


async def chat(ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
    plan = build_plan(ctx.name, request, stream=False)
    response = await ctx.post_json(url(ctx, api.MESSAGES_PATH), plan.body, headers(ctx))
    return parse_message(plan, _json(ctx.name, request.model, response))


def chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    return _stream(ctx, request)


@asynccontextmanager
async def _stream(ctx: ProviderContext, request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamEvent]]:
    plan = build_plan(ctx.name, request, stream=True)
    async with ctx.http.stream("POST", url(ctx, api.MESSAGES_PATH), json=plan.body,
                               headers=headers(ctx, stream=True)) as response:
        if response.status_code >= 400:
            await response.aread()
            raise _error(ctx.name, request.model, response)
        content_type = response.headers.get("content-type", "")
        if "event-stream" not in content_type and "json" in content_type:
            yield _whole(plan, response)  # a proxy that ignored "stream": true and answered whole
        else:
            yield stream_events(plan, response, plan.warnings)


async def _whole(plan: Plan, response: httpx.Response) -> AsyncIterator[StreamEvent]:
    await response.aread()
    for event in response_events(parse_message(plan, _json(plan.provider, plan.model, response))):
        yield event


async def list_models(ctx: ProviderContext) -> list[ModelInfo]:
    """Every page of ``/v1/models`` (``has_more``, then ``after_id=<last_id>``), in the API's order."""
    out: list[ModelInfo] = []
    params: dict[str, str | int] = {"limit": api.MODELS_PAGE_LIMIT}
    seen: set[str] = set()
    while True:
        response = await ctx.http.get(url(ctx, api.MODELS_PATH), params=params, headers=headers(ctx))
        data = _json(ctx.name, None, response)
        items = data.get("data")
        for item in items if isinstance(items, list) else ():
            found = model_info(ctx.name, item) if is_object(item) else None
            if found is not None:
                out.append(found)
        last = data.get("last_id")
        if data.get("has_more") is not True or not isinstance(last, str) or not last or last in seen:
            return out
        seen.add(last)  # a server repeating a cursor must not keep us here forever
        params = {"limit": api.MODELS_PAGE_LIMIT, "after_id": last}
