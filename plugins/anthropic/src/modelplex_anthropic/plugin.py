"""The ``anthropic`` plugin module (entry point ``anthropic``): the hooks, and nothing heavy.

Importing it imports no HTTP library; the provider module is imported on the first call. Each hook
imports its function from that module (``from ...provider import chat``): importing a name from a
package would run importlib's Python code on every call. There is no ``modelplex_embed`` hook:
Anthropic has no embeddings API, so the core raises :class:`~modelplex.errors.UnsupportedFeatureError`
naming the provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex import (
        ChatRequest,
        ChatResponse,
        ModelInfo,
        ProviderContext,
        ProviderInfo,
        StreamEvent,
        ToolCodec,
    )


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    from modelplex_anthropic import api  # constants only: discovery loads nothing of the provider

    return api.info()


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
    from modelplex_anthropic.provider import chat

    return chat(ctx, request)


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    from modelplex_anthropic.provider import chat_stream

    return chat_stream(ctx, request)


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]]:
    from modelplex_anthropic.provider import list_models

    return list_models(ctx)


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
    from modelplex_anthropic.provider import codec

    return codec(ctx)
