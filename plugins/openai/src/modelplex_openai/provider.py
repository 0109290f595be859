"""The OpenAI provider: the Responses API first, Chat Completions (the shared plumbing) where a
server has no ``/responses``; OpenAI's organisation and project headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import attrs
from modelplex_openai_compat import Call, CompatProvider, response_events

from modelplex import (
    ChatRequest,
    ChatResponse,
    ProviderContext,
    ProviderWarning,
    StreamEvent,
    ToolCodec,
    WarningRaised,
)
from modelplex.errors import ResponseParseError
from modelplex.toolkit import is_object
from modelplex_openai import route
from modelplex_openai.responses_body import build_responses_body
from modelplex_openai.responses_parse import parse_responses
from modelplex_openai.responses_stream import responses_events
from modelplex_openai.responses_tools import ResponsesToolCodec

# Optional settings ([providers.openai] organization = "org-...") and the headers that carry them.
_ACCOUNT_HEADERS = {"organization": "OpenAI-Organization", "project": "OpenAI-Project"}
_RESPONSES_CODEC = "modelplex_openai.responses_codec"


async def _events(*groups: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for group in groups:
        for event in group:
            yield event


async def _after(warning: ProviderWarning,
                 events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    yield WarningRaised(warning=warning)
    async for event in events:
        yield event


class OpenAIProvider(CompatProvider):
    def headers(self, ctx: ProviderContext, *, stream: bool = False) -> dict[str, str]:
        out = super().headers(ctx, stream=stream)
        for option, header in _ACCOUNT_HEADERS.items():
            value = ctx.settings.options.get(option)
            if isinstance(value, str) and value:
                out[header] = value
        return out

    def codec(self, ctx: ProviderContext) -> ToolCodec:
        if route.route(ctx) == route.RESPONSES:
            return ResponsesToolCodec(self.profile_for(ctx), provider=ctx.name)
        return super().codec(ctx)

    def responses_call(self, ctx: ProviderContext, request: ChatRequest, *, stream: bool) -> Call:
        prepared = self.prepared(ctx)
        codec = ctx.memo(_RESPONSES_CODEC,
                         lambda: ResponsesToolCodec(prepared.profile, provider=ctx.name))
        return Call(provider=ctx.name, model=request.model, request=request, profile=prepared.profile,
                    codec=codec, stages=self.stages, stream=stream)

    async def chat(self, ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
        if route.route(ctx) == route.CHAT_COMPLETIONS:
            return await super().chat(ctx, request)
        call = self.responses_call(ctx, request, stream=False)
        body, warnings = build_responses_body(call)
        url = self.config_for(ctx).url(ctx, "responses", request.model)
        response = await ctx.post_json(url, body, self.prepared(ctx).headers)
        status, data = response.status_code, None
        if status < 400:
            # The reply is read once: only one that holds an error (LM Studio's missing route comes
            # with HTTP 200) is looked at again for a fallback.
            data = self.json_body(ctx, request.model, response)
            missing = (is_object(data) and bool(data.get("error"))
                       and route.may_fall_back(ctx, status, response.content))
        else:
            missing = route.may_fall_back(ctx, status, response.content)
        if missing:
            fallback = route.remember_fallback(ctx)
            result = await super().chat(ctx, request)
            return attrs.evolve(result, warnings=(fallback, *result.warnings))
        if status >= 400:
            raise self.error(ctx, request.model, response)
        if not is_object(data):
            raise ResponseParseError("the response is not a JSON object", provider=ctx.name,
                                     model=request.model)
        result = parse_responses(call, data)
        return attrs.evolve(result, warnings=(*warnings, *result.warnings)) if warnings else result

    def chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        if route.route(ctx) == route.CHAT_COMPLETIONS:
            return super().chat_stream(ctx, request)
        return self._responses_stream(ctx, request)

    @asynccontextmanager
    async def _responses_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AsyncIterator[AsyncIterator[StreamEvent]]):
        call = self.responses_call(ctx, request, stream=True)
        body, warnings = build_responses_body(call)
        url = self.config_for(ctx).url(ctx, "responses", request.model)
        async with ctx.http.stream("POST", url, json=body,
                                   headers=self.prepared(ctx).stream_headers) as response:
            whole = "json" in response.headers.get("content-type", "")  # else SSE, whatever it says
            if response.status_code < 400 and not whole:
                yield responses_events(call, response, warnings)
                return
            await response.aread()
            if not route.may_fall_back(ctx, response.status_code, response.content):
                if response.status_code >= 400:
                    raise self.error(ctx, request.model, response)
                # A whole JSON reply to a streaming request: its events, all at once.
                data = self.json_body(ctx, request.model, response)
                result = parse_responses(call, data)
                yield _events([WarningRaised(warning=w) for w in warnings],
                              response_events(result))
                return
        fallback = route.remember_fallback(ctx)
        async with super().chat_stream(ctx, request) as events:
            yield _after(fallback, events)
