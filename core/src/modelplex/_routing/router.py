"""The router: the routing state of one client (its policy, chains, limits and cool-downs) and the routed
calls made with it.

A call addressed ``chain/NAME`` goes through the chain's models in order (:mod:`._routing.candidates`
says which may serve it, :mod:`._routing.attempts` tries them). A plain ``provider/model`` address takes
the same path (one candidate, no skips) when something needs it: retries of a ``[routing]`` policy, or
limits for it. Otherwise it is called directly (:mod:`modelplex._call.direct`), the fast path.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._call.attempt import invoke
from modelplex._call.direct import Direct
from modelplex._chains import CHAIN_PROVIDER, Chain
from modelplex._cooldown import CoolDownStore, MemoryCoolDownStore, counts, describe, retry_after
from modelplex._estimate import prompt_tokens, request_tokens, text_tokens
from modelplex._known_models import BUILTIN_CHAINS, LOCAL_CHAIN, builtin_models
from modelplex._options import ChatOptions, ChatRequest
from modelplex._ratelimit import MemoryLimitStore, RateLimiter
from modelplex._retry import RoutingPolicy
from modelplex._routing.address import split_model
from modelplex._routing.attempts import Outcome, run
from modelplex._routing.candidates import Candidate, Route
from modelplex._routing.opened import Opened
from modelplex._routing.streams import Events
from modelplex.errors import UnknownModelError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from modelplex._call.admission import Admission
    from modelplex._client import AsyncClient
    from modelplex._embeddings import EmbedRequest, EmbedResponse
    from modelplex._messages import Message
    from modelplex._rerank import RerankRequest, RerankResponse
    from modelplex._responses import ChatResponse, ProviderWarning
    from modelplex._routing_config import RoutingConfig

MAX_COOLDOWN = 3600.0  # the longest cool-down a Retry-After can ask for

class Router:
    """The routing state of one client: its policy, chains, limits and cool-downs."""

    def __init__(self, client: AsyncClient, config: RoutingConfig) -> None:
        self.client = client
        self.config = config
        self.rng = random.Random()
        self._routes: dict[str, Route | None] = {}
        self._directs: dict[str, Direct] = {}
        self._failed: set[str] = set()  # keys this process saw fail: a success must clear them
        self.local: tuple[float, list[Candidate], list[tuple[str, str]]] | None = None
        self.cooldowns: CoolDownStore
        if config.redis:
            from modelplex._redis import RedisCoolDownStore, RedisLimitStore, connect

            connection = connect(config.redis, wait=config.policy.deadline)
            self.cooldowns = RedisCoolDownStore(connection, config.prefix)
            store: Any = RedisLimitStore(connection, config.prefix)
        else:
            self.cooldowns = MemoryCoolDownStore()
            store = MemoryLimitStore()
        self.limiter = RateLimiter(store, config.limits) if config.limits else None

    # -- addresses -----------------------------------------------------------------------------------
    def route(self, address: str) -> Route | None:
        """The route for ``address``; ``None`` when it is called directly (nothing to route)."""
        try:
            return self._routes[address]
        except KeyError:
            pass
        provider, model = split_model(address)
        route: Route | None
        if provider == CHAIN_PROVIDER:
            chain, builtin = self._chain(model)
            policy = self.config.policy
            if chain.retries is not None:
                policy = attrs.evolve(policy, retries=chain.retries)
            route = Route(address=address, policy=policy, chain=chain, builtin=builtin)
        elif self.limiter is not None and self.limiter.buckets(provider, model):
            # limits: reserved and settled, but retried only if a policy says so
            policy = self.config.policy if self.config.policy_given else attrs.evolve(self.config.policy,
                                                                                       retries=0)
            route = Route(address=address, policy=policy)
        elif self.config.policy_given and self.config.policy.retries:
            route = Route(address=address, policy=self.config.policy)
        else:
            route = None  # one attempt within the policy's deadline: the direct path does just that
        if len(self._routes) > 4096:
            self._routes.clear()
        self._routes[address] = route
        return route

    def direct(self, address: str) -> Direct:
        """Calls to ``address`` (``provider/model``, for which :meth:`route` gave ``None``)."""
        direct = self._directs.get(address)
        if direct is None:
            provider, model = split_model(address)
            direct = Direct(self, address, provider, model)
            if len(self._directs) > 4096:
                self._directs.clear()
            self._directs[address] = direct
        return direct

    def chains(self) -> dict[str, Chain]:
        """Every chain by name: the built-in ones (as installed), then the configured ones over them."""
        out = {name: self._chain(name)[0] for name in (*BUILTIN_CHAINS, LOCAL_CHAIN)}
        out.update(self.config.chains)
        return out

    def _chain(self, name: str) -> tuple[Chain, bool]:
        if name in self.config.chains:
            return self.config.chains[name], False
        if name == LOCAL_CHAIN:
            return Chain(name=name, entries=()), True
        if name in BUILTIN_CHAINS:
            return Chain.of(name, builtin_models(self.client, name)), True
        known = sorted({*self.config.chains, *BUILTIN_CHAINS, LOCAL_CHAIN})
        raise UnknownModelError(f"unknown chain {name!r} (known: {', '.join(known)}); define it under "
                                f"[chains.{name}] in the config file or with chains={{...}}",
                                provider=CHAIN_PROVIDER, model=name)

    # -- cool-downs ----------------------------------------------------------------------------------
    @property
    def has_failures(self) -> bool:
        """Whether any model failed since its last success (a success must then clear it)."""
        return bool(self._failed)

    async def failed(self, key: str, exc: BaseException, policy: RoutingPolicy | None = None) -> bool:
        """Count a failure of ``key`` (a model or provider) towards its cool-down; false if it does not."""
        if not counts(exc):
            return False
        policy = policy or self.config.policy
        self._failed.add(key)
        await self.cooldowns.failure(key, describe(exc), threshold=policy.cooldown_after,
                                     period=policy.cooldown, retry_after=retry_after(exc, MAX_COOLDOWN))
        return True

    async def succeeded(self, key: str, always: bool = False) -> None:
        """Clear ``key``'s failures (only if it has any, unless ``always``)."""
        if always or key in self._failed:
            self._failed.discard(key)
            await self.cooldowns.success(key)

    # -- routed calls --------------------------------------------------------------------------------
    def one(self, address: str) -> Route:
        """The route of ``address`` (``provider/model``) called alone: one attempt within the configured
        policy's deadline, as the direct branch makes it (a stream takes it)."""
        return Route(address=address, policy=attrs.evolve(self.config.policy, retries=0))

    async def chat(self, route: Route, messages: tuple[Message, ...], options: ChatOptions,
                   check: Callable[[ChatRequest, Candidate], Sequence[ProviderWarning]],
                   admission: Admission | None = None) -> ChatResponse:
        """One reply from the first of ``route``'s candidates that gives one (and that ``admission``,
        if given, admits)."""
        base = prompt_tokens(messages)

        def tokens(c: Candidate) -> int:
            return base + prompt_tokens((), c.options(options))

        async def attempt(c: Candidate) -> ChatResponse:
            request = ChatRequest(model=c.model, messages=messages, options=c.options(options))
            warnings = check(request, c)
            response: ChatResponse = await invoke(self.client, c.provider, c.model, "modelplex_chat",
                                                  request=request)
            if warnings:
                response = attrs.evolve(response, warnings=(*warnings, *response.warnings))
            return response

        outcome = await run(self, route, "chat", options, tokens, request_tokens(messages, options), attempt,
                            lambda r: r.usage.total, admission)
        return attrs.evolve(outcome.result, trace=outcome.trace.build(outcome.candidate.address))

    async def embed(self, route: Route, request: EmbedRequest,
                    admission: Admission | None = None) -> EmbedResponse:
        """The vectors from the first of ``route``'s candidates that gives them (and that ``admission``,
        if given, admits)."""
        size = text_tokens(request.inputs)

        async def attempt(c: Candidate) -> EmbedResponse:
            response: EmbedResponse = await invoke(self.client, c.provider, c.model, "modelplex_embed",
                                                   request=attrs.evolve(request, model=c.model))
            return response

        outcome = await run(self, route, "embed", None, lambda c: size, size, attempt,
                            lambda r: r.usage.total, admission)
        return attrs.evolve(outcome.result, trace=outcome.trace.build(outcome.candidate.address))

    async def rerank(self, route: Route, request: RerankRequest,
                     admission: Admission | None = None) -> RerankResponse:
        """The order from the first of ``route``'s candidates that gives one (and that ``admission``, if
        given, admits)."""
        size = text_tokens((request.query, *request.documents))

        async def attempt(c: Candidate) -> RerankResponse:
            response: RerankResponse = await invoke(self.client, c.provider, c.model, "modelplex_rerank",
                                                    request=attrs.evolve(request, model=c.model))
            return response

        outcome = await run(self, route, "rerank", None, lambda c: size, size, attempt,
                            lambda r: r.usage.total, admission)
        return attrs.evolve(outcome.result, trace=outcome.trace.build(outcome.candidate.address))

    def stream(self, route: Route | None, address: str, messages: tuple[Message, ...], options: ChatOptions,
               check: Callable[[ChatRequest, Candidate], Sequence[ProviderWarning]],
               admission: Admission | None = None) -> AbstractAsyncContextManager[Events]:
        """The stream of the first candidate that starts one (``route`` ``None``: ``address`` alone, one
        attempt within the configured policy's deadline) and that ``admission``, if given, admits."""
        if route is None:
            route = self.one(address)
        return self._stream(route, messages, options, check, admission)

    @asynccontextmanager
    async def _stream(self, route: Route, messages: tuple[Message, ...], options: ChatOptions,
                      check: Callable[[ChatRequest, Candidate], Sequence[ProviderWarning]],
                      admission: Admission | None) -> AsyncIterator[Events]:
        base = prompt_tokens(messages)

        def tokens(c: Candidate) -> int:
            return base + prompt_tokens((), c.options(options))

        async def attempt(c: Candidate) -> Opened:
            request = ChatRequest(model=c.model, messages=messages, options=c.options(options))
            opened = Opened(self.client, c)
            # A chain reads on to the first content event (it may still fall back until then).
            await opened.open(request, until_content=route.chain is not None, warnings=check(request, c))
            return opened

        outcome: Outcome[Opened] = await run(self, route, "stream", options, tokens,
                                             request_tokens(messages, options), attempt, None, admission)
        events = Events(self, outcome, route.policy)
        try:
            yield events
        except BaseException as exc:
            await events.close(exc)
            raise
        await events.close(None)

    async def aclose(self) -> None:
        self._directs.clear()  # they hold the providers' contexts, which the client has closed
        if self.limiter is not None:
            await self.limiter.store.aclose()
        await self.cooldowns.aclose()

