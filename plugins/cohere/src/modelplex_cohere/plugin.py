"""The ``cohere`` plugin module (entry point ``cohere = "modelplex_cohere.plugin"``): only hooks.

Importing it imports no HTTP library and nothing else of this package: each hook imports the module
that does the work when it is called, so discovering the plugin costs nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from modelplex.hookspecs import SPEC_VERSION, hookimpl

if TYPE_CHECKING:
    from modelplex import (
        ChatRequest,
        ChatResponse,
        EmbedRequest,
        EmbedResponse,
        ModelInfo,
        ProviderContext,
        ProviderInfo,
        RerankRequest,
        RerankResponse,
        StreamEvent,
        ToolCodec,
    )

# Kept here, not in config.py, so that discovery imports nothing else. The v2 routes and the v1 model
# list hang under it (/v2/chat, /v1/models).
DEFAULT_BASE_URL = "https://api.cohere.com"


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    from modelplex import ProviderInfo

    return ProviderInfo(
        spec_version=SPEC_VERSION,
        description="Cohere (API v2): chat, streaming, tools, citations, embeddings, rerank",
        api_key_env=("COHERE_API_KEY", "CO_API_KEY"),
        base_url_env=("COHERE_BASE_URL",),
        default_base_url=DEFAULT_BASE_URL,
        # Cohere documents temperature from 0 to 1 and p from 0.01 to 0.99.
        option_ranges={"temperature": (0, 1)},
        catalog="modelplex_cohere:models.json",
    )


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
    from modelplex_cohere.chat import chat

    return chat(ctx, request)  # a coroutine: the core awaits it


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    from modelplex_cohere.chat import chat_stream

    return chat_stream(ctx, request)


@hookimpl
def modelplex_embed(ctx: ProviderContext, request: EmbedRequest) -> Awaitable[EmbedResponse]:
    from modelplex_cohere.embeddings import embed

    return embed(ctx, request)


@hookimpl
def modelplex_rerank(ctx: ProviderContext, request: RerankRequest) -> Awaitable[RerankResponse]:
    from modelplex_cohere.rerank import rerank

    return rerank(ctx, request)


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]]:
    from modelplex_cohere.models import list_models

    return list_models(ctx)


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
    from modelplex_cohere.chat import codec

    return codec(ctx)
