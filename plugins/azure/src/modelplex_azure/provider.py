"""The Azure provider: the shared Chat Completions provider with Azure's URLs, profile per route and
api-version, content-filter results, and the deployments the user configured as its model list."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs
from modelplex_openai_compat import Call, CompatProvider, Profile, Stages, estimate, response_events

from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    ModelInfo,
    ProviderContext,
    ProviderWarning,
    StreamEvent,
    WarningRaised,
)
from modelplex.errors import BadRequestError
from modelplex_azure import config
from modelplex_azure.content_filter import (
    CODES,
    FILTERED,
    azure_parse_response,
    azure_parse_stream_event,
    rejected_prompt,
    unnamed,
)
from modelplex_azure.errors import azure_map_error

if TYPE_CHECKING:
    import httpx

STAGES = Stages(parse_response=azure_parse_response, parse_stream_event=azure_parse_stream_event,
                map_error=azure_map_error)
_PROFILE_STATE = "modelplex_azure.profile"


async def _replay(events: Sequence[StreamEvent]) -> AsyncIterator[StreamEvent]:
    for event in events:
        yield event


class AzureProvider(CompatProvider):
    """See the package README. Users pick the route and version per configured provider::

        [providers.azure]
        route = "deployments"            # or "v1", "foundry"
        api_version = "2025-04-01-preview"
        deployments = { my-gpt4o = "gpt-4o", embed = "text-embedding-3-small" }
    """

    def __init__(self, profile: Profile | None = None) -> None:
        super().__init__(config.CONFIG, profile, STAGES)

    def profile_for(self, ctx: ProviderContext) -> Profile:
        """The route's profile (:func:`config.route_profile`), with the user's ``profile`` table."""
        def build() -> Profile:
            route = config.route_of(ctx)  # no endpoint needed: list_models asks for the profile
            base = config.route_profile(route, config.api_version_of(ctx, route))
            overrides: Any = ctx.settings.options.get("profile")
            return base if overrides is None else base.updated(overrides, provider=ctx.name)

        return ctx.memo(_PROFILE_STATE, build)

    # -- a prompt the content filter refused (HTTP 400, code content_filter) ---------------------
    def _refused(self, ctx: ProviderContext, request: ChatRequest, exc: BadRequestError, *,
                 stream: bool = False) -> ChatResponse:
        """A reply that says the prompt was filtered: no content, ``CONTENT_FILTER``, a warning with
        the categories, and an estimate of the prompt's tokens (Azure bills a filtered prompt)."""
        _, warnings = self.request_body(self.call(ctx, request, stream=stream))
        raw = None
        if request.options.include_raw and exc.body:
            try:
                raw = json.loads(exc.body)
            except ValueError:
                raw = exc.body
        return ChatResponse(provider=ctx.name, model=request.model, parts=(),
                            finish_reason=FinishReason.CONTENT_FILTER,
                            usage=estimate(request.messages, 0),
                            warnings=(*warnings, rejected_prompt(exc.body, ctx.name)), raw=raw)

    async def chat(self, ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
        try:
            return await super().chat(ctx, request)
        except BadRequestError as exc:
            if exc.code != "content_filter":
                raise
            return self._refused(ctx, request, exc)

    def chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        return self._azure_stream(ctx, request)

    @asynccontextmanager
    async def _azure_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AsyncIterator[AsyncIterator[StreamEvent]]):
        opened = False
        try:
            async with super().chat_stream(ctx, request) as events:
                opened = True
                yield events
        except BadRequestError as exc:
            if opened or exc.code != "content_filter":
                raise
            yield _replay(response_events(self._refused(ctx, request, exc, stream=True)))

    async def events(self, call: Call, response: httpx.Response,
                     warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
        """The shared stream events, with the content filter's warnings once each and, when anything
        was filtered, ``CONTENT_FILTER`` as the finish reason (the raw reason is kept)."""
        seen: set[ProviderWarning] = set()
        filtered = False
        async for event in super().events(call, response, warnings):
            if isinstance(event, WarningRaised) and event.warning.code in CODES:
                if event.warning in seen:
                    continue
                seen.add(event.warning)
                filtered = filtered or event.warning.code == FILTERED
            elif isinstance(event, Finished):
                if event.reason is FinishReason.CONTENT_FILTER and not filtered:
                    yield WarningRaised(warning=unnamed())
                elif filtered and event.reason is not FinishReason.CONTENT_FILTER:
                    event = attrs.evolve(event, reason=FinishReason.CONTENT_FILTER)
            yield event

    # -- models ----------------------------------------------------------------------------------
    async def list_models(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The deployments configured under ``deployments``, each named by the model it serves.

        Azure's data plane has no deployment listing an API key can read (the management API
        needs an Azure AD token), so nothing is fetched, and neither an endpoint nor a key is
        needed: no configured deployments, no models.
        """
        return [ModelInfo(id=name, provider=ctx.name, name=base)
                for name, base in config.deployments(ctx).items()]
