"""The asynchronous client: its configuration, plugins and providers, and the API whose every call goes
through the one call path (:mod:`modelplex._call.pipeline`)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from modelplex._config import Settings, config_source, environ, load_config
from modelplex._logging import log
from modelplex._plugins import Registry
from modelplex._provider import ProviderContext
from modelplex._rerank_api import rerank as _rerank
from modelplex.errors import ConfigurationError, ModelplexError

if TYPE_CHECKING:  # the classes of results load with the first call that makes one, not at import
    from modelplex._call.pipeline import Calls
    from modelplex._catalog.estimate import Estimate
    from modelplex._catalog.records import ModelInfo
    from modelplex._chains import Chain
    from modelplex._codec import ToolCodec
    from modelplex._conversation import AsyncConversation
    from modelplex._embeddings import EmbedResponse
    from modelplex._health import HealthStatus
    from modelplex._messages import Message
    from modelplex._options import ChatOptions
    from modelplex._ratelimit import RateLimits
    from modelplex._responses import ChatResponse
    from modelplex._retry import RoutingPolicy
    from modelplex._routing.router import Router
    from modelplex._routing_config import RoutingConfig
    from modelplex._stream import ChatStream


class AsyncClient:
    """One interface to every installed provider.

    :param providers: per-provider settings, ``{"openai": {"api_key": ..., "base_url": ...}}``; they win
        over environment variables, which win over the config file.
    :param plugins: plugin objects by provider name, registered in addition to (or, with
        ``autoload=False``, instead of) the installed ones.
    :param autoload: discover installed plugins through entry points (once, on first use).
    :param config_file: a TOML config path; ``False`` reads none; ``None`` the default location.
    :param env: the environment to read (default ``os.environ``).
    :param transport: an ``httpx`` transport for every provider (``httpx.MockTransport`` in tests).
    :param timeout: the read timeout in seconds for every provider, unless configured per provider.
    :param chains: fallback chains by name (a :class:`~modelplex.Chain`, or a list of ``provider/model``
        strings and ``{"model": ..., <option>: ...}`` tables), addressed as ``chain/NAME``.
    :param limits: :class:`~modelplex.RateLimits` (or tables of them) by provider (``"openai"``) or
        model (``"openai/gpt-4o"``).
    :param routing: a :class:`~modelplex.RoutingPolicy` (or a table of its fields): retries, deadline,
        behaviour at a limit, cool-downs. Given here or as ``[routing]`` in the config file, it applies
        to plain ``provider/model`` calls too; chains always use it (with its defaults if not given).
    :param redis: a Redis URL: rate limits and cool-downs are then shared with every process using it.
    """
    rerank = _rerank  # documents ordered by relevance to a query (modelplex._rerank_api)

    def __init__(self, *, providers: Mapping[str, Mapping[str, Any]] | None = None,
                 plugins: Mapping[str, object] | None = None, autoload: bool = True,
                 config_file: str | Path | bool | None = None, env: Mapping[str, str] | None = None,
                 transport: Any = None, timeout: float | None = None,
                 chains: Mapping[str, Chain | Sequence[Any]] | None = None,
                 limits: Mapping[str, RateLimits | Mapping[str, Any]] | None = None,
                 routing: RoutingPolicy | Mapping[str, Any] | None = None, redis: str | None = None) -> None:
        self._env = environ() if env is None else env
        self._explicit_plugins = dict(plugins or {})
        self._autoload = autoload
        self._providers_arg = providers
        self._config_file = config_file
        self._transport = transport
        self._timeout = timeout
        self._routing_args: dict[str, Any] = {"chains": chains, "limits": limits, "routing": routing,
                                              "redis": redis}
        self._contexts: dict[str, ProviderContext] = {}
        self._closed = False
        #: What providers' model lists said, by address: chains read context windows and capabilities here.
        self.learned: dict[str, ModelInfo] = {}

    # -- lazily built state: nothing is discovered or read until the first call --------------------
    @functools.cached_property
    def registry(self) -> Registry:
        return Registry(self._explicit_plugins, autoload=self._autoload, env=self._env)

    @functools.cached_property
    def config(self) -> dict[str, Any]:
        """The config file's contents (empty without one)."""
        return load_config(*config_source(self._config_file, self._env))

    @functools.cached_property
    def settings(self) -> Settings:
        from modelplex._keys.lookup import KeyLookup  # the key store: read no user file without a config

        keys = None if self._config_file is False else KeyLookup(self._env)
        return Settings(self._providers_arg, self._env, self.config, keys=keys)

    @functools.cached_property
    def routing(self) -> RoutingConfig:
        """Chains, limits, the routing policy and the Redis URL: the config file's, then the arguments'."""
        from modelplex._routing_config import load_routing

        return load_routing(self.config, **self._routing_args)

    @functools.cached_property
    def router(self) -> Router:
        from modelplex._routing.router import Router

        if self._closed:
            raise ConfigurationError("this client is closed")
        return Router(self, self.routing)

    def context(self, provider: str) -> ProviderContext:
        """The configured provider ``provider``, built on first use and kept for the client's life."""
        ctx = self._contexts.get(provider)
        if ctx is None:
            if self._closed:
                raise ConfigurationError("this client is closed")
            record = self.registry.owner(self.settings.plugin_for(provider))
            ctx = ProviderContext(self.settings.resolve(provider, record.info, transport=self._transport,
                                                        timeout=self._timeout, plugin=record.name))
            self._contexts[provider] = ctx
        return ctx

    @functools.cached_property
    def _calls(self) -> Calls:
        from modelplex._call.pipeline import Calls

        if "policy" in self.config:  # a governance policy admits each candidate (modelplex._policy)
            from modelplex._policy.plugin import install

            install(self)
        return Calls(self)

    # -- the API ---------------------------------------------------------------------------------
    async def chat(self, model: str | None = None, messages: str | Message | Sequence[Message] | None = None,
                   *, system: str | None = None, options: ChatOptions | None = None,
                   tags: Mapping[str, str] | None = None, caller: str | None = None,
                   agent: str | None = None, task: str | None = None, **kwargs: Any) -> ChatResponse:
        """Ask ``model`` (``provider/model``, or ``chain/NAME``) for one reply. Keyword options: see
        :class:`ChatOptions`. ``response.trace`` tells how the call was routed.

        ``tags`` and ``caller`` (who made the call, what for) are for the call lifecycle's plugins (a usage
        log, budgets), never sent. ``agent``/``task``: a profile/task route; see :mod:`modelplex._agents`.
        """
        return await self._calls.chat(model, messages, system, options, kwargs, tags, caller, agent, task)

    def stream(self, model: str | None = None, messages: str | Message | Sequence[Message] | None = None,
               *, system: str | None = None, options: ChatOptions | None = None,
               tags: Mapping[str, str] | None = None, caller: str | None = None,
               agent: str | None = None, task: str | None = None, **kwargs: Any) -> ChatStream:
        """``async with client.stream("provider/model", "...") as s: async for event in s: ...``

        A chain (``chain/NAME``) falls back to its next model only before the first content event.
        ``tags``, ``caller``, ``agent`` and ``task``: as for :meth:`chat`.
        """
        return self._calls.stream(model, messages, system, options, kwargs, tags, caller, agent, task)

    async def estimate(self, model: str, messages: str | Message | Sequence[Message], *,
                       system: str | None = None, options: ChatOptions | None = None,
                       **kwargs: Any) -> Estimate:
        """What a :meth:`chat` with these arguments will cost at most, before it is made: the input
        tokens (exact where the model's tokenizer is installed, else an upper-leaning estimate), the
        most output (``max_tokens``, else the model's maximum), and the worst-case cost; a chain's
        names each candidate's. Nothing is sent: no provider, no network. See :class:`Estimate`."""
        from modelplex._catalog.estimate import estimate_call

        return estimate_call(self, model, messages, system, options, kwargs)

    async def embed(self, model: str, inputs: str | Sequence[str], *, dimensions: int | None = None,
                    task_type: str | None = None, tags: Mapping[str, str] | None = None,
                    caller: str | None = None, **extra: Any) -> EmbedResponse:
        """One vector per input from ``model``. ``tags`` and ``caller``: as for :meth:`chat`."""
        return await self._calls.embed(model, inputs, dimensions, task_type, extra, tags, caller)

    async def health(self, probe: bool = False) -> list[HealthStatus]:
        """What is known of each provider and model: failures, cool-downs, the last error.

        With ``probe=True`` each configured provider is first asked for its model list, a free call
        (never a billed completion), and the outcome recorded.
        """
        from modelplex._health import health

        return await health(self, probe)

    def chains(self) -> dict[str, Chain]:
        """Every chain by name: the built-in ones (``flagship``, ``fast``, ``local``) and the configured."""
        return self.router.chains()

    async def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        """The models of ``provider``; without one, of every loaded provider that lists them.

        What the provider lists, each model merged with the bundled catalog and the config file's
        ``[models."provider/model"]`` overrides: the listing's facts win over the catalog's where it
        says anything, overrides win over both, and ``ModelInfo.sources`` says where each fact came
        from. A listed model the catalog does not know keeps unknown (``None``) prices and capabilities.

        Naming a provider raises its error. Listing them all skips (and logs) a provider that fails, so
        one provider being down does not hide the others' models.
        """
        if provider is not None:
            from modelplex._catalog.merge import listed

            return listed(self, provider, await self._calls.list_models(provider))
        out: list[ModelInfo] = []
        for name in self.registry.names:
            if "modelplex_list_models" in self.registry.records[name].hooks:
                try:
                    out.extend(await self.list_models(name))
                except ModelplexError as exc:
                    log("warning", "list_models_failed", provider=name, error=str(exc))
        return out

    def tool_codec(self, provider: str) -> ToolCodec:
        """The codec that translates canonical tools to and from ``provider``'s wire format."""
        from modelplex._call.attempt import start
        return cast("ToolCodec", start(self, provider, None, "modelplex_tool_codec"))

    def conversation(self, id: str | None = None, **fields: Any) -> AsyncConversation:
        """A new conversation (``model``, ``system``, ``title``, ``options``) or the stored one ``id``."""
        from modelplex._conversation import AsyncConversation, open_conversation
        return AsyncConversation(self, *open_conversation(self, id, **fields))

    async def aclose(self) -> None:
        self._closed = True
        contexts, self._contexts = list(self._contexts.values()), {}
        for ctx in contexts:
            await ctx.aclose()
        if (router := self.__dict__.get("router")) is not None:
            await router.aclose()

    def __del__(self) -> None:
        # A client nobody closed (see modelplex._http.forgotten); _http is loaded if it connected at all.
        transport: Any = sys.modules.get("modelplex._http")
        if transport is not None and not getattr(self, "_closed", True) and getattr(self, "_contexts", None):
            transport.forgotten(self, self._contexts)

    def __repr__(self) -> str:
        # Provider names only (settings hold keys), and nothing loaded or read to show them.
        names = sorted({*(self._providers_arg or {}), *self._contexts})
        return f"AsyncClient(providers={names!r}, closed={self._closed})"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()
