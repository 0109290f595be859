"""The one call path: every chat, stream, embedding and model listing goes through it.

1. resolve: the address checked (:func:`~modelplex._validate.check_address`) and its route found
   (a chain, a model with routing, or nothing to route: the direct branch);
2. validate: the request built and checked before any byte is sent, per candidate provider too
   (whose warnings go on the response, or open a stream as ``WarningRaised`` events);
3. admit: the lifecycle's ``modelplex_before_call`` (skipped when no plugin implements it);
4. attempt(s): :class:`~modelplex._call.direct.Direct` (one attempt) or the router's attempt loop,
   each attempt admitted first by ``modelplex_before_attempt`` when some plugin implements it
   (:mod:`._call.admission`),
   every exception from a plugin translated once at the plugin boundary (:mod:`._call.attempt`), every
   attempt and wait bounded by one deadline mechanism (:mod:`._call.deadline`);
5. trace: set on the response, or on the error;
6. report: reservations settled or released, ``modelplex_after_call`` told the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from modelplex._aliases import expand
from modelplex._call.admission import admission, admitted
from modelplex._call.attempt import listing
from modelplex._call.costs import costs
from modelplex._call.lifecycle import CallInfo, build
from modelplex._call.observe import NO_TAGS, Watch, call_info
from modelplex._options import ChatOptions, ChatRequest
from modelplex._routing.address import split_model
from modelplex._routing.candidates import Candidate
from modelplex._validate import (
    build_options,
    check_address,
    check_chat,
    check_embed,
    check_for_provider,
    messages_from,
)

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient
    from modelplex._embeddings import EmbedResponse
    from modelplex._responses import ChatResponse, ProviderWarning
    from modelplex._stream import ChatStream

T = TypeVar("T")
_time = time.time


class Calls:
    """The call path of one client."""

    __slots__ = ("client",)

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    def check(self, request: ChatRequest, c: Candidate) -> Sequence[ProviderWarning]:
        """The validate step for one candidate provider: its warnings, or a typed error."""
        client = self.client
        record = client.registry.owner(client.context(c.provider).settings.plugin)
        return check_for_provider(request, provider=c.provider, info=record.info)

    # -- chat, embed, list_models ----------------------------------------------------------------------
    def chat(self, address: Any, messages: Any, system: str | None, options: ChatOptions | None,
             kwargs: Mapping[str, Any], tags: Mapping[str, str] | None, caller: str | None,
             agent: str | None = None, task: str | None = None) -> Awaitable[ChatResponse]:
        """The call, resolved and validated (errors raised here, before anything is sent), as an
        awaitable for the client to await: no coroutine of its own between the two (the hot path).
        ``agent`` and ``task`` are applied first (:mod:`modelplex._agents`); ``messages`` (``None`` when
        the client was given none) is checked by ``messages_from``."""
        if agent is not None or task is not None:
            from modelplex._agents.resolve import profiled

            address, messages, system, options, kwargs, tags = profiled(
                self.client, address, messages, system, options, kwargs, tags, agent, task)
        if address.__class__ is str and "/" not in address:  # an alias, or a provider's default model
            address = expand(self.client, address)
        address = check_address(address)
        router = self.client.router
        route = router.route(address)
        msgs = messages_from(messages, system)
        opts = build_options(options, kwargs)
        check_chat(msgs, opts)
        lifecycle = self.client.registry.lifecycle
        make: Callable[[CallInfo], Awaitable[ChatResponse]]
        if route is None:
            direct = router.direct(address)
            request = ChatRequest(model=direct.model, messages=msgs, options=opts)
            warnings = check_for_provider(request, provider=direct.provider, info=direct.info)
            if not lifecycle.active:  # the fast path: nothing to admit or report
                return direct.call("modelplex_chat", warnings, request=request)
            # call_info(), written out: a frame less (docs/hot-paths.md)
            call = build(CallInfo, ("chat", address, direct.provider, direct.model, request,
                                    dict(tags) if tags else NO_TAGS, caller, _time()))
            if not lifecycle.attempt:  # admitted and reported by the attempt's own coroutine
                return direct.call("modelplex_chat", warnings, lifecycle, call, request=request)
            make = lambda call: admitted(self.client, call, "chat", msgs, opts,  # noqa: E731
                                         direct, warnings, request=request)
            return self._observed(Watch(lifecycle, self.client, call), make)
        else:
            if not lifecycle.active:
                return router.chat(route, msgs, opts, self.check)
            request = ChatRequest(model=split_model(address)[1], messages=msgs, options=opts)
            make = lambda call: router.chat(route, msgs, opts, self.check,  # noqa: E731
                                            admission(self.client, call, "chat", msgs, opts))
        call = call_info("chat", address, request, tags, caller)
        return self._observed(Watch(lifecycle, self.client, call), make)

    def embed(self, address: Any, inputs: str | Sequence[str], dimensions: int | None,
              task_type: str | None, extra: Mapping[str, Any], tags: Mapping[str, str] | None,
              caller: str | None) -> Awaitable[EmbedResponse]:
        """As :meth:`chat`, for an embedding."""
        from modelplex._embeddings import EmbedRequest

        if address.__class__ is str and "/" not in address:  # an alias, or a provider's default model
            address = expand(self.client, address)
        address = check_address(address)
        router = self.client.router
        route = router.route(address)
        _, model = split_model(address)
        request = EmbedRequest(model=model, inputs=(inputs,) if isinstance(inputs, str) else inputs,
                               dimensions=dimensions, task_type=task_type, extra=extra)
        check_embed(request)
        make: Callable[[CallInfo], Awaitable[EmbedResponse]]
        lifecycle = self.client.registry.lifecycle
        if route is None:
            direct = router.direct(address)
            if not lifecycle.active:
                return direct.call("modelplex_embed", request=request)
            # call_info(), written out: a frame less (docs/hot-paths.md)
            call = build(CallInfo, ("embed", address, direct.provider, direct.model, request,
                                    dict(tags) if tags else NO_TAGS, caller, _time()))
            if not lifecycle.attempt:  # admitted and reported by the attempt's own coroutine
                return direct.call("modelplex_embed", (), lifecycle, call, request=request)
            make = lambda call: admitted(self.client, call, "embed", request.inputs,  # noqa: E731
                                         None, direct, request=request)
            return self._observed(Watch(lifecycle, self.client, call), make)
        else:
            if not lifecycle.active:
                return router.embed(route, request)
            make = lambda call: router.embed(route, request,  # noqa: E731
                                             admission(self.client, call, "embed", request.inputs,
                                                       None))
        call = call_info("embed", address, request, tags, caller)
        return self._observed(Watch(lifecycle, self.client, call), make)

    async def list_models(self, provider: str, tags: Mapping[str, str] | None = None,
                          caller: str | None = None) -> list[ModelInfo]:
        lifecycle = self.client.registry.lifecycle
        if not lifecycle.active:
            return await listing(self.client, provider)
        return await self._observed(Watch(lifecycle, self.client,
                                          call_info("list_models", provider, None, tags, caller)),
                                    lambda call: listing(self.client, provider))

    @staticmethod
    async def _observed(watch: Watch, make: Callable[[CallInfo], Awaitable[T]]) -> T:
        """``make(call)`` admitted first and reported after, whatever its end."""
        admitting = watch.admit()
        if admitting is not None:
            await admitting
        try:
            result = await make(watch.call)
        except BaseException as exc:
            await watch.ended(exc)
            raise
        done = watch.succeeded(result)
        if done is not None:
            await done
        return result

    # -- stream ----------------------------------------------------------------------------------------
    def stream(self, address: Any, messages: Any, system: str | None, options: ChatOptions | None,
               kwargs: Mapping[str, Any], tags: Mapping[str, str] | None, caller: str | None,
               agent: str | None = None, task: str | None = None) -> ChatStream:
        """As :meth:`chat`, a stream."""
        from modelplex._stream import ChatStream, Observer

        if agent is not None or task is not None:
            from modelplex._agents.resolve import profiled

            address, messages, system, options, kwargs, tags = profiled(
                self.client, address, messages, system, options, kwargs, tags, agent, task)
        if address.__class__ is str and "/" not in address:  # an alias, or a provider's default model
            address = expand(self.client, address)
        address = check_address(address)
        router = self.client.router
        route = router.route(address)
        provider, model = split_model(address)
        msgs = messages_from(messages, system)
        opts = build_options(options, kwargs)
        check_chat(msgs, opts)
        lifecycle = self.client.registry.lifecycle
        observer = None
        admits = None
        if lifecycle.active:
            request = ChatRequest(model=model, messages=msgs, options=opts)
            observer = Observer(lifecycle, call_info("stream", address, request, tags, caller))
            admits = admission(self.client, observer.call, "stream", msgs, opts)
        return ChatStream(lambda: router.stream(route, address, msgs, opts, self.check, admits), provider,
                          model, observer, costs(self.client))


