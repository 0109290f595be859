"""The chat hooks' work: one ``POST /v2/chat``, answered whole (:func:`chat`) or streamed
(:func:`chat_stream`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from modelplex import ChatRequest, ChatResponse, ProviderContext, StreamEvent, WarningRaised
from modelplex.toolkit import sse_stream
from modelplex_cohere.body import request_body
from modelplex_cohere.config import headers, json_body, url
from modelplex_cohere.errors import map_error
from modelplex_cohere.reply import parse_reply
from modelplex_cohere.stream import Events
from modelplex_cohere.tools import ToolCodec

CHAT = "v2/chat"


def codec(ctx: ProviderContext) -> ToolCodec:
    """One codec per provider: it depends on the provider's name alone."""
    return ctx.memo("cohere.codec", lambda: ToolCodec(provider=ctx.name))


async def chat(ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
    """Send the request and read the whole reply."""
    tools = codec(ctx)
    body, warnings = request_body(request, tools, stream=False, provider=ctx.name)
    response = await ctx.post_json(url(ctx, CHAT), body, headers(ctx))
    return parse_reply(json_body(ctx, request.model, response), provider=ctx.name, model=request.model,
                       codec=tools, warnings=warnings, keep_raw=request.options.include_raw)


@asynccontextmanager
async def chat_stream(ctx: ProviderContext,
                      request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamEvent]]:
    """Send the request; yield its events as they come. Leaving the block closes the response."""
    tools = codec(ctx)
    body, warnings = request_body(request, tools, stream=True, provider=ctx.name)
    async with ctx.http.stream("POST", url(ctx, CHAT), json=body, headers=headers(ctx)) as response:
        if response.status_code >= 400:
            await response.aread()
            raise map_error(provider=ctx.name, model=request.model, status=response.status_code,
                            body=response.content, headers=response.headers,
                            reason=response.reason_phrase)
        yield sse_stream(response, Events(provider=ctx.name, model=request.model, codec=tools),
                         first=[WarningRaised(warning=w) for w in warnings])
