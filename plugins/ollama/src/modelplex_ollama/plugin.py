"""The ``ollama`` plugin module (entry point ``ollama``): only hooks.

Importing it imports no HTTP library and nothing of this package beyond itself: each hook imports
the module that does the work when it is called.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

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

# Kept here, not imported from config.py, so that discovery imports nothing else.
DEFAULT_BASE_URL = "http://localhost:11434"
BASE_URL_ENV = ("OLLAMA_HOST", "OLLAMA_BASE_URL")


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    from modelplex import ProviderInfo

    return ProviderInfo(
        spec_version=SPEC_VERSION,
        description="Ollama (native API): streaming chat, tools, thinking, structured output, images, "
                    "embeddings; 'modelplex ollama' pulls and manages models",
        api_key_env=("OLLAMA_API_KEY",),
        base_url_env=BASE_URL_ENV,
        default_base_url=DEFAULT_BASE_URL,
        requires_api_key=False,
        local=True,
        catalog="modelplex_ollama:models.json",
    )


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
    from modelplex_ollama.chat import chat

    return chat(ctx, request)


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    from modelplex_ollama.stream import chat_stream

    return chat_stream(ctx, request)


@hookimpl
def modelplex_embed(ctx: ProviderContext, request: EmbedRequest) -> Awaitable[EmbedResponse]:
    from modelplex_ollama.embed import embed

    return embed(ctx, request)


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]]:
    from modelplex_ollama.models import list_models

    return list_models(ctx)


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
    from modelplex_ollama.tools import OllamaToolCodec

    return OllamaToolCodec(provider=ctx.name)


@hookimpl
def modelplex_register_commands(cli: Any) -> None:
    from modelplex_ollama.cli import ollama

    cli.add_command(ollama)
