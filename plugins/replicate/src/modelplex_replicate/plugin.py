"""The ``replicate`` plugin module (entry point ``replicate = "modelplex_replicate.plugin"``): only hooks.

Importing it imports no HTTP library and nothing else of this package: each hook imports the module
that does the work when it is called, so discovering the plugin costs nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from modelplex.hookspecs import SPEC_VERSION, hookimpl

if TYPE_CHECKING:
    from modelplex import ChatRequest, ChatResponse, ProviderContext, ProviderInfo, StreamEvent

# Kept here, not in config.py, so that discovery imports nothing else.
DEFAULT_BASE_URL = "https://api.replicate.com/v1"


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    """Replicate: where it is, the token's variable and the catalog of its official language models."""
    from modelplex import ProviderInfo

    return ProviderInfo(
        spec_version=SPEC_VERSION,
        description="Replicate: language models as streamed predictions (official models, versions, "
                    "deployments)",
        api_key_env=("REPLICATE_API_TOKEN",),
        base_url_env=("REPLICATE_BASE_URL",),
        default_base_url=DEFAULT_BASE_URL,
        catalog="modelplex_replicate:models.json",
    )


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
    """:func:`modelplex_replicate.chat.chat`."""
    from modelplex_replicate.chat import chat

    return chat(ctx, request)  # a coroutine: the core awaits it


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
    """:func:`modelplex_replicate.chat.chat_stream`."""
    from modelplex_replicate.chat import chat_stream

    return chat_stream(ctx, request)
