"""The hook functions of a provider plugin, made from a :class:`CompatProvider`.

A plugin module built on this library is a few lines::

    from modelplex_openai_compat import CompatConfig, Profile, make_hooks

    _hooks = make_hooks(CompatConfig(name="Acme", default_base_url="https://api.acme.example/v1",
                                     api_key_env=("ACME_API_KEY",)), Profile(stream_usage=False))
    modelplex_provider_info = _hooks.modelplex_provider_info
    modelplex_chat = _hooks.modelplex_chat
    modelplex_chat_stream = _hooks.modelplex_chat_stream
    modelplex_embed = _hooks.modelplex_embed
    modelplex_list_models = _hooks.modelplex_list_models
    modelplex_tool_codec = _hooks.modelplex_tool_codec
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import attrs

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:  # for annotations only: discovery loads none of these modules
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
    from modelplex_openai_compat.config import CompatConfig
    from modelplex_openai_compat.profile import Profile
    from modelplex_openai_compat.provider import CompatProvider
    from modelplex_openai_compat.stages import Stages


@attrs.frozen(kw_only=True)
class Hooks:
    """Plain ``def`` hook implementations, marked with ``hookimpl``, named as the hookspecs are."""

    provider: CompatProvider
    modelplex_provider_info: Callable[[], ProviderInfo]
    modelplex_chat: Callable[[ProviderContext, ChatRequest], Awaitable[ChatResponse]]
    modelplex_chat_stream: Callable[[ProviderContext, ChatRequest],
                                    AbstractAsyncContextManager[AsyncIterator[StreamEvent]]]
    # None where the provider's profile rules the endpoint out: the plugin then does not implement
    # the hook at all, and the core says "not supported" (and `modelplex plugins` does not list it).
    modelplex_embed: Callable[[ProviderContext, EmbedRequest],
                              Awaitable[EmbedResponse] | None] | None
    modelplex_list_models: Callable[[ProviderContext], Awaitable[Sequence[ModelInfo]] | None] | None
    modelplex_tool_codec: Callable[[ProviderContext], ToolCodec]


def hooks_for(provider: CompatProvider) -> Hooks:
    """The hooks that serve ``provider`` (a :class:`CompatProvider` or a subclass).

    ``modelplex_embed`` and ``modelplex_list_models`` are ``None`` when the provider's profile rules
    those endpoints out; a user's ``profile`` table can turn them off, not on.
    """

    @hookimpl
    def modelplex_provider_info() -> ProviderInfo:
        return provider.info()

    @hookimpl
    def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        return provider.chat(ctx, request)

    @hookimpl
    def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        return provider.chat_stream(ctx, request)

    @hookimpl
    def modelplex_embed(ctx: ProviderContext,
                        request: EmbedRequest) -> Awaitable[EmbedResponse] | None:
        if not provider.profile_for(ctx).supports_embeddings:
            return None
        return provider.embed(ctx, request)

    @hookimpl
    def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]] | None:
        if not provider.profile_for(ctx).supports_list_models:
            return None
        return provider.list_models(ctx)

    @hookimpl
    def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
        return provider.codec(ctx)

    profile = provider.profile
    return Hooks(provider=provider, modelplex_provider_info=modelplex_provider_info,
                 modelplex_chat=modelplex_chat, modelplex_chat_stream=modelplex_chat_stream,
                 modelplex_embed=modelplex_embed if profile.supports_embeddings else None,
                 modelplex_list_models=(modelplex_list_models if profile.supports_list_models
                                        else None),
                 modelplex_tool_codec=modelplex_tool_codec)


def make_hooks(config: CompatConfig, profile: Profile | None = None,
               stages: Stages | None = None) -> Hooks:
    """The hooks of a provider made of ``config``, ``profile`` and ``stages``."""
    from modelplex_openai_compat.provider import CompatProvider

    return hooks_for(CompatProvider(config, profile, stages))



@attrs.frozen(kw_only=True)
class LazyHooks:
    """What :func:`lazy_hooks` gives: the hook functions, as in :class:`Hooks`, without a provider."""

    modelplex_provider_info: Callable[[], ProviderInfo]
    modelplex_chat: Callable[[ProviderContext, ChatRequest], Awaitable[ChatResponse]]
    modelplex_chat_stream: Callable[[ProviderContext, ChatRequest],
                                    AbstractAsyncContextManager[AsyncIterator[StreamEvent]]]
    modelplex_embed: Callable[[ProviderContext, EmbedRequest],
                              Awaitable[EmbedResponse] | None] | None
    modelplex_list_models: Callable[[ProviderContext], Awaitable[Sequence[ModelInfo]] | None] | None
    modelplex_tool_codec: Callable[[ProviderContext], ToolCodec]


def lazy_hooks(config: CompatConfig, profile: Profile,
               load: Callable[[], CompatProvider | Hooks]) -> LazyHooks:
    """The hooks of a provider built on their first call: what a plugin module exports so that
    discovering it loads none of the plumbing (``modelplex_provider_info`` needs only ``config``).

    ``load`` returns the provider (or its hooks); ``config`` and ``profile`` must be the ones it is
    built with, since they say, before it exists, what it is and which hooks it implements::

        _hooks = lazy_hooks(CONFIG, PROFILE, lambda: CompatProvider(CONFIG, PROFILE, my_stages()))
    """
    built: list[Hooks] = []

    def hooks() -> Hooks:
        if not built:
            made = load()
            built.append(made if isinstance(made, Hooks) else hooks_for(made))
        return built[0]

    @hookimpl
    def modelplex_provider_info() -> ProviderInfo:
        return provider_info(config)

    @hookimpl
    def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        return hooks().modelplex_chat(ctx, request)

    @hookimpl
    def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        return hooks().modelplex_chat_stream(ctx, request)

    @hookimpl
    def modelplex_embed(ctx: ProviderContext,
                        request: EmbedRequest) -> Awaitable[EmbedResponse] | None:
        embed = hooks().modelplex_embed
        return embed(ctx, request) if embed is not None else None

    @hookimpl
    def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]] | None:
        list_models = hooks().modelplex_list_models
        return list_models(ctx) if list_models is not None else None

    @hookimpl
    def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec:
        return hooks().modelplex_tool_codec(ctx)

    return LazyHooks(modelplex_provider_info=modelplex_provider_info,
                 modelplex_chat=modelplex_chat, modelplex_chat_stream=modelplex_chat_stream,
                 modelplex_embed=modelplex_embed if profile.supports_embeddings else None,
                 modelplex_list_models=(modelplex_list_models if profile.supports_list_models
                                        else None),
                 modelplex_tool_codec=modelplex_tool_codec)


def provider_info(config: CompatConfig) -> ProviderInfo:
    """What a provider made of ``config`` says about itself (:meth:`CompatProvider.info`)."""
    from modelplex import ProviderInfo
    from modelplex.hookspecs import SPEC_VERSION

    return ProviderInfo(spec_version=SPEC_VERSION, description=config.description or config.name,
                        api_key_env=config.api_key_env, base_url_env=config.base_url_env,
                        option_env=config.option_env, default_base_url=config.default_base_url,
                        requires_api_key=config.requires_api_key, local=config.local)
