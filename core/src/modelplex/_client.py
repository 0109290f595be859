"""The asynchronous client: the one place that turns ``provider/model`` into a routed plugin call."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from modelplex._catalog import ModelInfo
from modelplex._codec import ToolCodec
from modelplex._config import Settings, default_config_path, environ, load_config
from modelplex._embeddings import EmbedRequest, EmbedResponse
from modelplex._logging import log
from modelplex._messages import Message
from modelplex._options import ChatOptions, ChatRequest, ResponseFormat
from modelplex._plugins import Registry
from modelplex._provider import ProviderContext
from modelplex._responses import ChatResponse
from modelplex._stream import ChatStream
from modelplex._tools import Tool, ToolChoice
from modelplex.errors import (
    ConfigurationError,
    ModelplexError,
    ResponseParseError,
    TransportError,
    UnknownModelError,
    UnsupportedFeatureError,
)

_OPTION_NAMES = frozenset(a.name for a in ChatOptions.__attrs_attrs__)


def split_model(address: str) -> tuple[str, str]:
    """``"together/meta-llama/Llama-3:8b"`` -> ``("together", "meta-llama/Llama-3:8b")``."""
    provider, sep, model = address.partition("/")
    if not sep or not provider or not model:
        raise UnknownModelError(f"model {address!r} must be addressed as 'provider/model', for example "
                                "'openai/gpt-4o-mini'", model=address)
    return provider, model


def _messages(messages: str | Message | Sequence[Message], system: str | None) -> tuple[Message, ...]:
    if isinstance(messages, str):
        out: tuple[Message, ...] = (Message.user(messages),)
    elif isinstance(messages, Message):
        out = (messages,)
    else:
        out = tuple(messages)
        bad = next((m for m in out if not isinstance(m, Message)), None)
        if bad is not None:
            raise TypeError(f"messages must be Message objects, got {type(bad).__name__}")
    return (Message.system(system), *out) if system else out


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None or isinstance(value, ToolChoice):
        return value
    if value in ("auto", "none", "required"):
        return ToolChoice(mode=value)
    if isinstance(value, str):
        return ToolChoice.tool(value)
    raise TypeError(f"tool_choice must be 'auto', 'none', 'required', a tool name or a ToolChoice, "
                    f"got {value!r}")


def build_options(options: ChatOptions | None, kwargs: Mapping[str, Any]) -> ChatOptions:
    unknown = set(kwargs) - _OPTION_NAMES
    if unknown:
        raise TypeError(f"unknown chat option(s): {', '.join(sorted(unknown))}; provider-specific "
                        "settings go in extra={...}")
    values = {k: v for k, v in kwargs.items() if v is not None}
    if "tool_choice" in values:
        values["tool_choice"] = _tool_choice(values["tool_choice"])
    if isinstance(values.get("response_format"), str):
        values["response_format"] = ResponseFormat(type=values["response_format"])
    if isinstance(values.get("stop"), str):
        values["stop"] = (values["stop"],)
    if "tools" in values:
        values["tools"] = tuple(t if isinstance(t, Tool) else Tool(**t) for t in values["tools"])
    if options is None:
        return ChatOptions(**values)
    import attrs

    return attrs.evolve(options, **values)


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
    """

    def __init__(self, *, providers: Mapping[str, Mapping[str, Any]] | None = None,
                 plugins: Mapping[str, object] | None = None, autoload: bool = True,
                 config_file: str | Path | bool | None = None, env: Mapping[str, str] | None = None,
                 transport: Any = None, timeout: float | None = None) -> None:
        self._env = environ() if env is None else env
        self._explicit_plugins = dict(plugins or {})
        self._autoload = autoload
        self._providers_arg = providers
        self._config_file = config_file
        self._transport = transport
        self._timeout = timeout
        self._contexts: dict[str, ProviderContext] = {}
        self._closed = False

    # -- lazily built state: nothing is discovered or read until the first call --------------------
    @functools.cached_property
    def registry(self) -> Registry:
        return Registry(self._explicit_plugins, autoload=self._autoload, env=self._env)

    @functools.cached_property
    def settings(self) -> Settings:
        if self._config_file is False:
            path = None
        elif self._config_file in (None, True):
            path = default_config_path(self._env)
        else:
            path = Path(str(self._config_file))
        return Settings(self._providers_arg, self._env, load_config(path))

    def context(self, provider: str) -> ProviderContext:
        """The configured provider ``provider``, built on first use and kept for the client's life."""
        ctx = self._contexts.get(provider)
        if ctx is None:
            if self._closed:
                raise ConfigurationError("this client is closed")
            plugin = self.settings.plugin_for(provider)
            record = self.registry.owner(plugin)
            ctx = ProviderContext(self.settings.resolve(provider, record.info, transport=self._transport,
                                                        timeout=self._timeout))
            self._contexts[provider] = ctx
        return ctx

    def _call(self, provider: str, hook: str, **kwargs: Any) -> Any:
        ctx = self.context(provider)
        result = self.registry.call(ctx.settings.plugin, hook, ctx=ctx, **kwargs)
        if result is None:
            what = hook.removeprefix("modelplex_").replace("_", " ")
            raise UnsupportedFeatureError(f"this provider does not support {what}", provider=provider,
                                          model=getattr(kwargs.get("request"), "model", None))
        return result

    def _wrapper(self, provider: str, model: str | None) -> Any:
        def wrap(exc: BaseException) -> ModelplexError:
            return wrap_error(exc, provider, model, self.context(provider).settings.plugin)
        return wrap

    async def _await(self, provider: str, model: str | None, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except ModelplexError:
            raise
        except Exception as exc:
            raise self._wrapper(provider, model)(exc) from exc

    # -- the API ---------------------------------------------------------------------------------
    async def chat(self, model: str, messages: str | Message | Sequence[Message], *,
                   system: str | None = None, options: ChatOptions | None = None,
                   **kwargs: Any) -> ChatResponse:
        """Ask ``model`` (``provider/model``) for one reply. Keyword options: see :class:`ChatOptions`."""
        provider, model_id = split_model(model)
        request = ChatRequest(model=model_id, messages=_messages(messages, system),
                              options=build_options(options, kwargs))
        response: ChatResponse = await self._await(
            provider, model_id, self._call(provider, "modelplex_chat", request=request))
        return response

    def stream(self, model: str, messages: str | Message | Sequence[Message], *,
               system: str | None = None, options: ChatOptions | None = None,
               **kwargs: Any) -> ChatStream:
        """``async with client.stream("provider/model", "...") as s: async for event in s: ...``"""
        provider, model_id = split_model(model)
        request = ChatRequest(model=model_id, messages=_messages(messages, system),
                              options=build_options(options, kwargs))
        return ChatStream(lambda: self._call(provider, "modelplex_chat_stream", request=request),
                          provider, model_id, self._wrapper(provider, model_id))

    async def embed(self, model: str, inputs: str | Sequence[str], *, dimensions: int | None = None,
                    task_type: str | None = None, **extra: Any) -> EmbedResponse:
        provider, model_id = split_model(model)
        request = EmbedRequest(model=model_id, inputs=(inputs,) if isinstance(inputs, str) else inputs,
                               dimensions=dimensions, task_type=task_type, extra=extra)
        response: EmbedResponse = await self._await(
            provider, model_id, self._call(provider, "modelplex_embed", request=request))
        return response

    async def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        """The models of ``provider``; without one, of every loaded provider that lists them.

        Naming a provider raises its error. Listing them all skips (and logs) a provider that fails, so
        one provider being down does not hide the others' models.
        """
        if provider is not None:
            models = await self._await(provider, None, self._call(provider, "modelplex_list_models"))
            return list(models)
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
        codec: ToolCodec = self._call(provider, "modelplex_tool_codec")
        return codec

    async def aclose(self) -> None:
        self._closed = True
        contexts, self._contexts = list(self._contexts.values()), {}
        for ctx in contexts:
            await ctx.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


def wrap_error(exc: BaseException, provider: str, model: str | None, plugin: str) -> ModelplexError:
    """The safety net: no exception from deep inside a plugin reaches a user untranslated."""
    if isinstance(exc, ModelplexError):
        return exc
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return TransportError(f"timed out talking to the provider ({type(exc).__name__})",
                              provider=provider, model=model)
    if isinstance(exc, httpx.TransportError):
        return TransportError(f"connection failed: {type(exc).__name__}: {exc}", provider=provider,
                              model=model)
    return ResponseParseError(f"plugin {plugin!r} failed on the provider's response: "
                              f"{type(exc).__name__}: {exc}", provider=provider, model=model)
