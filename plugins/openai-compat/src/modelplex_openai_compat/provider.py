"""A provider assembled from a config, a profile and stages: chat, streaming, embeddings, models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from modelplex import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    ProviderContext,
    ProviderInfo,
    ProviderWarning,
    SecretHeaders,
    StreamEvent,
    ToolCodec,
    WarningRaised,
)
from modelplex.errors import ModelplexError, ResponseParseError
from modelplex.toolkit import is_object, sse_stream
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.config import CompatConfig
from modelplex_openai_compat.errors import ErrorResponse
from modelplex_openai_compat.events import response_events
from modelplex_openai_compat.profile import Profile
from modelplex_openai_compat.stages import DEFAULT_STAGES, Stages
from modelplex_openai_compat.stream import StreamState

if TYPE_CHECKING:
    import httpx

_PROFILE_STATE = "modelplex_openai_compat.profile"
_PREPARED_STATE = "modelplex_openai_compat.prepared"
_loads = json.JSONDecoder().decode


def _body(content: bytes) -> Any:
    """A JSON body: decoded as UTF-8 first (what servers send), ``json.loads`` for anything else."""
    try:
        text = content.decode()
    except UnicodeDecodeError:
        return json.loads(content)
    return _loads(text)


@attrs.frozen(kw_only=True)
class Prepared:
    """What every call to one configured provider shares, worked out on its first call (settings cannot
    change after it): the profile with the user's overrides, the tool codec and the request headers."""

    profile: Profile
    codec: ToolCodec
    headers: SecretHeaders
    stream_headers: SecretHeaders


class CompatProvider:
    """An OpenAI-compatible provider: ``config`` says where, ``profile`` how the server behaves,
    ``stages`` how each step is done. Subclass it only to add a whole route (the OpenAI plugin's
    Responses API); for differences of dialect, change the profile or a stage.

    Users may adjust the profile per configured provider with a ``profile`` table
    (``[providers.NAME.profile] stream_usage = false``).
    """

    def __init__(self, config: CompatConfig, profile: Profile | None = None,
                 stages: Stages | None = None) -> None:
        self.config = config
        self.profile = profile or Profile()
        self.stages = stages or DEFAULT_STAGES

    # -- what the hooks return -------------------------------------------------------------------
    def info(self) -> ProviderInfo:
        from modelplex_openai_compat.plugin import provider_info

        return provider_info(self.config)

    def config_for(self, ctx: ProviderContext) -> CompatConfig:
        """The config for this configured provider; a generic provider derives it from settings."""
        return self.config

    def profile_for(self, ctx: ProviderContext) -> Profile:
        """The profile with the user's ``profile`` table for this provider applied."""
        overrides: Any = ctx.settings.options.get("profile")
        if overrides is None:
            return self.profile
        return ctx.memo(_PROFILE_STATE, lambda: self.profile.updated(overrides, provider=ctx.name))

    def codec(self, ctx: ProviderContext) -> ToolCodec:
        return self.stages.tool_codec(self.profile_for(ctx), ctx.name)

    def prepared(self, ctx: ProviderContext) -> Prepared:
        """:class:`Prepared` for ``ctx``, built on its first call (:meth:`ProviderContext.memo`)."""
        return ctx.memo(_PREPARED_STATE, lambda: self.prepare(ctx))

    def prepare(self, ctx: ProviderContext) -> Prepared:
        profile = self.profile_for(ctx)
        return Prepared(profile=profile, codec=self.stages.tool_codec(profile, ctx.name),
                        headers=SecretHeaders(self.headers(ctx)),
                        stream_headers=SecretHeaders(self.headers(ctx, stream=True)))

    def call(self, ctx: ProviderContext, request: ChatRequest, *, stream: bool) -> Call:
        prepared = self.prepared(ctx)
        return Call(provider=ctx.name, model=request.model, request=request, profile=prepared.profile,
                    codec=prepared.codec, stages=self.stages, stream=stream)

    # -- HTTP ------------------------------------------------------------------------------------
    def headers(self, ctx: ProviderContext, *, stream: bool = False) -> dict[str, str]:
        """The request headers, worked out anew: calls use those of :meth:`prepared`."""
        out = self.config_for(ctx).headers(ctx)
        out["Accept"] = "text/event-stream" if stream else "application/json"
        return out

    def error(self, ctx: ProviderContext, model: str | None, response: httpx.Response) -> (
            ModelplexError):
        """The mapped error for a response that was already read."""
        return self.stages.map_error(ErrorResponse(
            provider=ctx.name, model=model, status_code=response.status_code,
            headers=response.headers, body=response.content, reason=response.reason_phrase))

    def json_body(self, ctx: ProviderContext, model: str | None, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise self.error(ctx, model, response)
        try:
            return _body(response.content)
        except ValueError:
            raise ResponseParseError(f"the response (HTTP {response.status_code}) is not JSON: "
                                     f"{response.text[:200]!r}", provider=ctx.name,
                                     model=model) from None

    def request_body(self, call: Call) -> tuple[dict[str, Any], list[ProviderWarning]]:
        messages, warnings = call.stages.encode_messages(call)
        body, more = call.stages.build_body(call, messages)
        return body, warnings + more if more else warnings

    # -- chat ------------------------------------------------------------------------------------
    async def chat(self, ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
        call = self.call(ctx, request, stream=False)
        body, warnings = self.request_body(call)
        url = self.config_for(ctx).url(ctx, "chat/completions", request.model)
        response = await ctx.post_json(url, body, self.prepared(ctx).headers)
        data = self.json_body(ctx, request.model, response)
        if not is_object(data):
            raise ResponseParseError("the response is not a JSON object", provider=ctx.name,
                                     model=request.model)
        result = call.stages.parse_response(call, data)
        return attrs.evolve(result, warnings=(*warnings, *result.warnings)) if warnings else result

    def chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        return self._stream(ctx, request)

    @asynccontextmanager
    async def _stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AsyncIterator[AsyncIterator[StreamEvent]]):
        call = self.call(ctx, request, stream=True)
        body, warnings = self.request_body(call)
        url = self.config_for(ctx).url(ctx, "chat/completions", request.model)
        async with ctx.http.stream("POST", url, json=body,
                                   headers=self.prepared(ctx).stream_headers) as response:
            if response.status_code >= 400:
                await response.aread()
                raise self.error(ctx, request.model, response)
            yield self.events(call, response, warnings)

    def events(self, call: Call, response: httpx.Response,
               warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
        """The typed events of a streaming response; :class:`StreamInterruptedError` if it ends
        before its end (no ``[DONE]`` and no finish reason, or an event cut in half).

        The toolkit's read loop itself, not a generator around it: one layer less an event."""
        first: list[StreamEvent] = [WarningRaised(warning=w) for w in warnings]
        content_type = response.headers.get("content-type", "")
        if "event-stream" not in content_type and "json" in content_type:
            return _answered_whole(call, response, first)
        return sse_stream(response, StreamState(call), first=first)

    # -- embeddings and models -------------------------------------------------------------------
    async def embed(self, ctx: ProviderContext, request: EmbedRequest) -> EmbedResponse:
        from modelplex_openai_compat.embeddings import embed

        return await embed(self, ctx, request)

    async def list_models(self, ctx: ProviderContext) -> list[ModelInfo]:
        from modelplex_openai_compat.models import model_infos

        config = self.config_for(ctx)
        response = await ctx.http.get(config.url(ctx, "models", None), headers=self.headers(ctx))
        return model_infos(ctx.name, self.json_body(ctx, None, response), local=config.local)


async def _answered_whole(call: Call, response: httpx.Response,
                          first: list[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """The events of a server that ignored ``"stream": true`` and answered with one JSON body."""
    for event in first:
        yield event
    data = call.read.json(await response.aread())
    for event in response_events(call.stages.parse_response(call, data)):
        yield event
