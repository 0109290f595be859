"""The ``gemini`` plugin module (entry point ``gemini``): hooks only.

Importing it imports no HTTP library: the work is done by what the hooks return, whose modules load
on the first call.
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
        StreamEvent,
        ToolCodec,
    )

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    from modelplex import ProviderInfo

    return ProviderInfo(
        spec_version=SPEC_VERSION,
        description="Google Gemini (Gemini API): chat, streaming, tools, thinking, structured "
                    "output, images, embeddings",
        api_key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY"), base_url_env=("GEMINI_BASE_URL",),
        option_env={"api_version": ("GEMINI_API_VERSION",)}, default_base_url=DEFAULT_BASE_URL,
        option_ranges={"temperature": (0, 2)}, option_limits={"max_tokens": 65_536},
        catalog="modelplex_gemini:models.json")


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
    from modelplex_gemini.provider import chat

    return chat(ctx, request)


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    from modelplex_gemini.provider import chat_stream

    return chat_stream(ctx, request)


@hookimpl
def modelplex_embed(ctx: ProviderContext, request: EmbedRequest) -> Awaitable[EmbedResponse]:
    from modelplex_gemini.embeddings import embed

    return embed(ctx, request)


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]]:
    from modelplex_gemini.models import list_models

    return list_models(ctx)


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
    from modelplex_gemini.tools import GeminiToolCodec

    return GeminiToolCodec(ctx.name)
