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
from modelplex._call.costs import cancelled_cost, costs
from modelplex._call.fast import new_call, new_outcome
from modelplex._call.lifecycle import CallInfo, CallKind, Lifecycle
from modelplex._estimate import prompt_tokens, text_tokens
from modelplex._options import ChatOptions, ChatRequest
from modelplex._responses import Usage
from modelplex._routing.address import split_model
from modelplex._routing.candidates import Candidate
from modelplex._sent import attempt_under_way, no_attempt
from modelplex._validate import (
    build_options,
    check_address,
    check_chat,
    check_embed,
    check_for_provider,
    messages_from,
)
from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient
    from modelplex._embeddings import EmbedResponse
    from modelplex._responses import ChatResponse, ProviderWarning
    from modelplex._stream import ChatStream

T = TypeVar("T")
_NO_TAGS: Mapping[str, str] = {}


def _answered(result: Any, trace: Any) -> tuple[str | None, str | None]:
    """The provider and model that answered: the trace's (a chain's choice), else the response's."""
    by = getattr(trace, "answered_by", None)
    if by:
        return split_model(by)
    return getattr(result, "provider", None), getattr(result, "model", None)


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
            if lifecycle.attempt:  # the one attempt admitted first
                make = lambda call: admitted(self.client, call, "chat", msgs, opts,  # noqa: E731
                                             direct, warnings, request=request)
            else:
                make = lambda call: direct.call("modelplex_chat", warnings, request=request)  # noqa: E731
        else:
            if not lifecycle.active:
                return router.chat(route, msgs, opts, self.check)
            request = ChatRequest(model=split_model(address)[1], messages=msgs, options=opts)
            make = lambda call: router.chat(route, msgs, opts, self.check,  # noqa: E731
                                            admission(self.client, call, "chat", msgs, opts))
        return self._observed(lifecycle, "chat", address, request, tags, caller, make)

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
            if lifecycle.attempt:  # the one attempt admitted first
                make = lambda call: admitted(self.client, call, "embed", request.inputs,  # noqa: E731
                                             None, direct, request=request)
            else:
                make = lambda call: direct.call("modelplex_embed", request=request)  # noqa: E731
        else:
            if not lifecycle.active:
                return router.embed(route, request)
            make = lambda call: router.embed(route, request,  # noqa: E731
                                             admission(self.client, call, "embed", request.inputs,
                                                       None))
        return self._observed(lifecycle, "embed", address, request, tags, caller, make)

    async def list_models(self, provider: str, tags: Mapping[str, str] | None = None,
                          caller: str | None = None) -> list[ModelInfo]:
        lifecycle = self.client.registry.lifecycle
        if not lifecycle.active:
            return await listing(self.client, provider)
        return await self._observed(lifecycle, "list_models", provider, None, tags, caller,
                                    lambda call: listing(self.client, provider))

    async def _observed(self, lifecycle: Lifecycle, kind: CallKind, address: str, request: Any,
                        tags: Mapping[str, str] | None, caller: str | None,
                        make: Callable[[CallInfo], Awaitable[T]]) -> T:
        """``make(call)`` admitted first and reported after, whatever its end."""
        call = call_info(kind, address, request, tags, caller)
        started = time.monotonic()
        no_attempt()  # an earlier call's marker in this context says nothing of this one
        try:  # admitted without a coroutine while every admitter answers at once
            now = lifecycle.admit_now(call) if lifecycle.before else ()
            held = now if isinstance(now, (list, tuple)) else await now
        except ModelplexError as refusal:
            refused = new_outcome("error", refusal, None, None, None, False, 0.0, None, None, None, None)
            await lifecycle.close(call, refused, (), report=True)
            raise
        try:
            result = await make(call)
        except Exception as exc:
            error = exc if isinstance(exc, ModelplexError) else None
            await lifecycle.close(call, new_outcome("error", error, None, None, None, False,
                                                    time.monotonic() - started, None,
                                                    getattr(error, "trace", None), None, None),
                                  held, report=True)
            raise
        except BaseException:
            # Cancelled: once an attempt is under way its prompt may have reached the provider, and be
            # billed; before that (waiting for admission, a budget's reservation) nothing was used.
            usage = sent(kind, request) if attempt_under_way() else None
            await lifecycle.close(call, new_outcome("cancelled", None, None, None, usage, usage is not None,
                                                    time.monotonic() - started, None, None, None,
                                                    cancelled_cost(self.client, address, usage)),
                                  held, report=True)
            raise
        trace = getattr(result, "trace", None)
        provider, model = _answered(result, trace) if kind != "list_models" else (address, None)
        done = lifecycle.report(call, new_outcome("ok", None, provider, model, getattr(result, "usage", None),
                                                  False, time.monotonic() - started, None, trace, result,
                                                  getattr(result, "cost", None)), held)
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


def sent(kind: CallKind, request: Any) -> Usage | None:
    """The usage of a call cancelled before its answer: its input, estimated (what a provider may bill
    for a request it received; nothing for a model listing)."""
    if kind in ("chat", "stream"):
        return Usage(input=prompt_tokens(request.messages, request.options), estimated=True)
    if kind == "embed":
        return Usage(input=text_tokens(request.inputs), estimated=True)
    return None


def call_info(kind: CallKind, address: str, request: Any, tags: Mapping[str, str] | None,
              caller: str | None) -> CallInfo:
    """What the lifecycle hooks see of a call (its tokens estimated when first read)."""
    provider, _, model = address.partition("/")
    return new_call(kind, address, provider, model or None, request, dict(tags) if tags else _NO_TAGS, caller,
                    time.time())
