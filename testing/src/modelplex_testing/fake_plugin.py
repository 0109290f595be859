"""The ``fake`` entry point: hooks that load :mod:`modelplex_testing.fake` on the first call, so that
discovering the test kit's provider costs every ``modelplex`` command nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import SPEC_VERSION, hookimpl

if TYPE_CHECKING:
    from modelplex import ChatRequest, EmbedRequest, ProviderContext, ProviderInfo, ToolCodec


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    from modelplex import ProviderInfo

    return ProviderInfo(spec_version=SPEC_VERSION, description="scripted fake provider for tests",
                        requires_api_key=False, local=True)


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Any:
    from modelplex_testing import fake

    return fake.modelplex_chat(ctx, request)


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> Any:
    from modelplex_testing import fake

    return fake.modelplex_chat_stream(ctx, request)


@hookimpl
def modelplex_embed(ctx: ProviderContext, request: EmbedRequest) -> Any:
    from modelplex_testing import fake

    return fake.modelplex_embed(ctx, request)


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Any:
    from modelplex_testing import fake

    return fake.modelplex_list_models(ctx)


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
    from modelplex_testing import fake

    return fake.modelplex_tool_codec(ctx)
