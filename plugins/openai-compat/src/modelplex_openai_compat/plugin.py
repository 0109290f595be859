"""The one object a plugin's entry point names: :func:`compat_plugin` makes it.

A plugin module built on this library is a declaration::

    from modelplex_openai_compat import CompatConfig, Profile, compat_plugin

    CONFIG = CompatConfig(name="Acme", default_base_url="https://api.acme.example/v1",
                          api_key_env=("ACME_API_KEY",))
    PLUGIN = compat_plugin(CONFIG, Profile(stream_usage=False))

and its ``pyproject.toml`` says ``acme = "modelplex_acme.plugin:PLUGIN"``. Discovery loads the
module and registers the object with pluggy; the provider, and with it the whole plumbing and the
HTTP library, is built on the first call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

EmbedHook = Callable[["ProviderContext", "EmbedRequest"], "Awaitable[EmbedResponse] | None"]
ListModelsHook = Callable[["ProviderContext"], "Awaitable[Sequence[ModelInfo]] | None"]


def _embed_hook(plugin: CompatPlugin) -> EmbedHook:
    @hookimpl
    def modelplex_embed(ctx: ProviderContext,
                        request: EmbedRequest) -> Awaitable[EmbedResponse] | None:
        provider = plugin.provider()
        if not provider.profile_for(ctx).supports_embeddings:  # a user's profile table turned it off
            return None
        return provider.embed(ctx, request)

    return modelplex_embed


def _list_models_hook(plugin: CompatPlugin) -> ListModelsHook:
    @hookimpl
    def modelplex_list_models(ctx: ProviderContext) -> Awaitable[Sequence[ModelInfo]] | None:
        provider = plugin.provider()
        if not provider.profile_for(ctx).supports_list_models:
            return None
        return provider.list_models(ctx)

    return modelplex_list_models


# eq=False: a plugin is itself, compared and hashed by identity (pluggy keys its registry by it).
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CompatPlugin:
    """A provider plugin made of a config, a profile and the way to build its provider.

    Its hook implementations are its ``modelplex_*`` attributes. ``modelplex_embed`` and
    ``modelplex_list_models`` are ``None`` when the profile rules those endpoints out: the plugin
    then does not implement them, and the core says "not supported" (a user's ``profile`` table can
    turn them off, not on).
    """

    config: CompatConfig
    profile: Profile
    build: Callable[[], CompatProvider] = field(repr=False)
    # The provider once built: a list, since the object is frozen and the build waits for a call.
    _built: list[CompatProvider] = field(default_factory=list, init=False, repr=False)
    modelplex_embed: EmbedHook | None = field(init=False, repr=False)
    modelplex_list_models: ListModelsHook | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        embed = _embed_hook(self) if self.profile.supports_embeddings else None
        list_models = _list_models_hook(self) if self.profile.supports_list_models else None
        object.__setattr__(self, "modelplex_embed", embed)
        object.__setattr__(self, "modelplex_list_models", list_models)

    # A method, not a property: pluggy reads every attribute of a plugin when registering it, and
    # reading this one must not build the provider.
    def provider(self) -> CompatProvider:
        """The provider, built on the first call; it must have the declared config and profile, since
        they said before it existed what it is and which hooks it implements."""
        built = self._built
        if not built:
            provider = self.build()
            if provider.config != self.config or provider.profile != self.profile:
                raise ValueError(f"plugin {self.config.name!r}: the provider built has another "
                                 "config or profile than the plugin declares")
            built.append(provider)
        return built[0]

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        """What the provider says about itself, from the config alone (discovery builds nothing)."""
        return provider_info(self.config)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        """:meth:`CompatProvider.chat`."""
        return self.provider().chat(ctx, request)

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> (
            AbstractAsyncContextManager[AsyncIterator[StreamEvent]]):
        """:meth:`CompatProvider.chat_stream`."""
        return self.provider().chat_stream(ctx, request)

    @hookimpl
    def modelplex_tool_codec(self, ctx: ProviderContext) -> ToolCodec:
        """:meth:`CompatProvider.codec`."""
        return self.provider().codec(ctx)


def compat_plugin(config: CompatConfig, profile: Profile | None = None,
                  stages: Callable[[], Stages] | None = None, *,
                  provider: Callable[[], CompatProvider] | None = None) -> CompatPlugin:
    """The plugin object of an OpenAI-compatible provider, for its entry point to name.

    :param config: where the server is and how to authenticate.
    :param profile: how the server differs (the default :class:`Profile` if ``None``).
    :param stages: a function that returns the :class:`Stages`, called on the first call (stages
        load the whole plumbing, which discovering the plugin must not); the default stages if
        ``None``.
    :param provider: for a provider that subclasses :class:`CompatProvider` (to add a route), a
        function that builds it, with this ``config`` and ``profile``, on the first call; it
        replaces ``stages``.
    """
    from modelplex_openai_compat.profile import Profile

    profile = Profile() if profile is None else profile
    if provider is not None and stages is not None:
        raise ValueError("give compat_plugin() stages or a provider, not both: the provider has its own")
    if provider is None:
        provider = _default_build(config, profile, stages)
    return CompatPlugin(config=config, profile=profile, build=provider)


def _default_build(config: CompatConfig, profile: Profile,
                   stages: Callable[[], Stages] | None) -> Callable[[], CompatProvider]:
    def build() -> CompatProvider:
        from modelplex_openai_compat.provider import CompatProvider

        return CompatProvider(config, profile, stages() if stages is not None else None)

    return build


def provider_info(config: CompatConfig) -> ProviderInfo:
    """What a provider made of ``config`` says about itself (:meth:`CompatProvider.info`)."""
    from modelplex import ProviderInfo
    from modelplex.hookspecs import SPEC_VERSION

    return ProviderInfo(spec_version=SPEC_VERSION, description=config.description or config.name,
                        api_key_env=config.api_key_env, base_url_env=config.base_url_env,
                        option_env=config.option_env, default_base_url=config.default_base_url,
                        requires_api_key=config.requires_api_key, local=config.local, aliases=config.aliases,
                        option_ranges=config.option_ranges, option_limits=config.option_limits,
                        catalog=config.catalog)
