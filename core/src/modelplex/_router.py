"""The router: fallback chains, retries, rate limits and cool-downs around the client's plugin calls.

A call addressed ``chain/NAME`` goes through the chain's models in order. Before any call, a model that
cannot serve the request is skipped with the reason (provider not installed or not configured, tools
or a JSON Schema asked of a model known to lack them, a prompt larger than its context window, a
cool-down). Each model is then tried: a retryable error is retried on it after a back-off (a 429 moves
on at once), any other error moves on to the next model. Rate limits are reserved before each attempt
and settled after it. A plain ``provider/model`` address takes the same path (one candidate, no skips)
when a ``[routing]`` policy or limits for it are configured; otherwise it is called directly.

A stream falls back only before its first content event (text, reasoning or a tool call); the events
before it are held back until then. After it, a failure is raised after the events already delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import attrs

from modelplex._catalog import ModelInfo
from modelplex._chains import CHAIN_PROVIDER, Chain, ChainEntry
from modelplex._client import split_model
from modelplex._cooldown import CoolDownStore, MemoryCoolDownStore, counts, describe, retry_after
from modelplex._direct import Direct
from modelplex._embeddings import EmbedRequest, EmbedResponse
from modelplex._estimate import prompt_tokens, request_tokens, text_tokens
from modelplex._events import (
    Finished,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
)
from modelplex._known_models import BUILTIN_CHAINS, KNOWN_MODELS, LOCAL_CHAIN, merge
from modelplex._messages import Message
from modelplex._options import ChatOptions, ChatRequest
from modelplex._provider import DEFAULT_CALL_TIMEOUT
from modelplex._ratelimit import MemoryLimitStore, RateLimiter, Reservation
from modelplex._responses import ChatResponse
from modelplex._retry import RoutingPolicy
from modelplex._routing_config import RoutingConfig
from modelplex._stream import RoutedEvents
from modelplex._trace import RoutingTrace, TraceBuilder
from modelplex.errors import (
    LocalRateLimitError,
    ModelplexError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    RoutingError,
    StreamInterruptedError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from modelplex._client import AsyncClient

T = TypeVar("T")

LOCAL_LISTING_TTL = 60.0  # seconds the local chain's model lists are kept
MAX_COOLDOWN = 3600.0  # the longest cool-down a Retry-After can ask for
_LEASE_MARGIN = 5.0
_HOOKS = {"chat": "modelplex_chat", "stream": "modelplex_chat_stream", "embed": "modelplex_embed"}
_CONTENT = (TextDelta, ReasoningDelta, ToolCallStarted, ToolCallDelta, ToolCallEnded)


def is_content(event: StreamEvent) -> bool:
    """Whether delivering ``event`` commits a stream to its model (no fallback after it)."""
    if isinstance(event, TextDelta):
        return bool(event.text)
    return isinstance(event, _CONTENT)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def is_loopback(url: str | None) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@attrs.frozen
class Candidate:
    address: str
    provider: str
    model: str
    entry: ChainEntry | None = None

    def options(self, options: ChatOptions) -> ChatOptions:
        return self.entry.apply(options) if self.entry is not None else options


@attrs.frozen
class Route:
    """What an address resolves to: a chain, or one model called with the routing policy."""

    address: str
    policy: RoutingPolicy
    chain: Chain | None = None  # None: a single model
    builtin: bool = False


@attrs.define
class Outcome(Generic[T]):
    result: T
    candidate: Candidate
    reservation: Reservation | None
    trace: TraceBuilder
    waited: float
    started: float


class Router:
    """The routing state of one client: its policy, chains, limits and cool-downs."""

    def __init__(self, client: AsyncClient, config: RoutingConfig) -> None:
        self.client = client
        self.config = config
        self.rng = random.Random()
        self._routes: dict[str, Route | None] = {}
        self._directs: dict[str, Direct] = {}
        self._failed: set[str] = set()  # keys this process saw fail: a success must clear them
        self._local: tuple[float, list[Candidate], list[tuple[str, str]]] | None = None
        self.cooldowns: CoolDownStore
        if config.redis:
            from modelplex._redis import RedisCoolDownStore, RedisLimitStore, connect

            connection = connect(config.redis)
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
        elif self.config.policy_given:
            route = Route(address=address, policy=self.config.policy)
        elif self.limiter is not None and self.limiter.buckets(provider, model):
            # limits alone: reserved and settled, but retried only if a policy says so
            route = Route(address=address, policy=attrs.evolve(self.config.policy, retries=0))
        else:
            route = None
        if len(self._routes) > 4096:
            self._routes.clear()
        self._routes[address] = route
        return route

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
            return Chain.of(name, BUILTIN_CHAINS[name]), True
        known = sorted({*self.config.chains, *BUILTIN_CHAINS, LOCAL_CHAIN})
        raise UnknownModelError(f"unknown chain {name!r} (known: {', '.join(known)}); define it under "
                                f"[chains.{name}] in the config file or with chains={{...}}",
                                provider=CHAIN_PROVIDER, model=name)

    # -- candidates and what rules them out ----------------------------------------------------------
    async def _candidates(self, route: Route, trace: TraceBuilder) -> list[Candidate]:
        if route.chain is None:
            provider, model = split_model(route.address)
            return [Candidate(route.address, provider, model)]
        if route.builtin and route.chain.name == LOCAL_CHAIN:
            return await self._local_candidates(trace)
        out = []
        records = self.client.registry.records
        for e in route.chain.entries:
            provider, model = split_model(e.model)
            if route.builtin and self.client.settings.plugin_for(provider) not in records:
                continue  # a built-in chain holds only the installed providers
            out.append(Candidate(e.model, provider, model, e))
        return out

    async def _local_candidates(self, trace: TraceBuilder) -> list[Candidate]:
        now = time.monotonic()
        if self._local is None or now - self._local[0] > LOCAL_LISTING_TTL:
            found: list[Candidate] = []
            skips: list[tuple[str, str]] = []
            settings = self.client.settings
            for name in sorted({*self.client.registry.names, *settings.configured_names()}):
                try:
                    ctx = self.client.context(name)
                except ModelplexError:
                    continue
                record = self.client.registry.records.get(ctx.settings.plugin)
                if record is None or "modelplex_list_models" not in record.hooks \
                        or not is_loopback(ctx.settings.base_url):
                    continue
                try:
                    with anyio.fail_after(min(10.0, ctx.settings.call_timeout)):
                        models = await self.client.list_models(name)
                except (ModelplexError, TimeoutError) as exc:
                    skips.append((f"{name}/*", f"its model list could not be read: {describe(exc)}"))
                    continue
                found += [Candidate(m.address, name, m.id) for m in models
                          if m.capabilities.chat is not False
                          and not (m.capabilities.embeddings and not m.capabilities.chat)]
            self._local = (now, found, skips)
        for model, reason in self._local[2]:
            trace.skip(model, reason)
        return list(self._local[1])

    def model_info(self, candidate: Candidate) -> ModelInfo | None:
        """What is known of a candidate: its provider's listing (if read), else the bundled table."""
        plugin = self.client.settings.plugin_for(candidate.provider)
        return merge(self.client.learned.get(candidate.address),
                     KNOWN_MODELS.get(f"{plugin}/{candidate.model}"))

    def _static_reason(self, c: Candidate, kind: str, options: ChatOptions | None,
                       tokens: int) -> str | None:
        try:
            ctx = self.client.context(c.provider)
            record = self.client.registry.owner(ctx.settings.plugin)
        except ModelplexError as exc:
            return f"provider not available: {exc.message}"
        if record.info.requires_api_key and not ctx.settings.api_key:
            where = f" (set {' or '.join(ctx.settings.api_key_env)})" if ctx.settings.api_key_env else ""
            return f"provider not configured: no API key{where}"
        if _HOOKS[kind] not in record.hooks:
            return f"the provider does not support {'embeddings' if kind == 'embed' else 'chat'}"
        info = self.model_info(c)
        if info is None:
            return None
        caps = info.capabilities
        if kind == "embed":
            if caps.embeddings is False:
                return "the model does not make embeddings"
        else:
            if caps.chat is False:
                return "the model does not chat"
            assert options is not None
            if options.tools and caps.tools is False:
                return "tools were requested and the model cannot call tools"
            schema = options.response_format is not None and options.response_format.type == "json_schema"
            if schema and caps.json_schema is False:
                return "a JSON Schema reply was requested and the model cannot give one"
        if info.context_window is not None and tokens > info.context_window:
            return (f"the prompt is about {tokens} tokens (estimated), more than the model's context "
                    f"window of {info.context_window}")
        return None

    async def _eligible(self, route: Route, candidates: Sequence[Candidate], kind: str,
                        options: ChatOptions | None, tokens: Callable[[Candidate], int],
                        trace: TraceBuilder) -> tuple[list[Candidate], float | None]:
        if route.chain is None:
            return list(candidates), None
        keys = {k for c in candidates for k in (c.address, c.provider)}
        states = await self.cooldowns.get(keys)
        now = time.time()
        keep, soonest = [], None
        for c in candidates:
            opts = c.options(options) if options is not None else None
            reason = self._static_reason(c, kind, opts, tokens(c))
            if reason is not None:
                trace.skip(c.address, reason)
                continue
            cooling = [(k, s) for k in (c.address, c.provider) if (s := states.get(k)) and s.until > now]
            if cooling:
                key, state = max(cooling, key=lambda ks: ks[1].until)
                left = state.until - now
                soonest = left if soonest is None else min(soonest, left)
                what = "" if key == c.address else f"its provider {key!r} is "
                trace.skip(c.address, f"{what}cooling down for {left:.1f}s more after {state.failures} "
                                      f"failure(s); last error: {state.last_error}")
                continue
            keep.append(c)
        return keep, soonest

    # -- the attempts --------------------------------------------------------------------------------
    async def _run(self, route: Route, kind: str, candidates_opts: ChatOptions | None,
                   tokens: Callable[[Candidate], int], reserve: int,
                   attempt: Callable[[Candidate], Awaitable[T]],
                   tokens_of: Callable[[T], int] | None) -> Outcome[T]:
        trace = TraceBuilder(route.address)
        policy = route.policy
        deadline = trace.started + policy.deadline
        candidates = await self._candidates(route, trace)
        trace.candidates = [c.address for c in candidates]
        pool, soonest = await self._eligible(route, candidates, kind, candidates_opts, tokens, trace)
        if not pool:
            raise self._exhausted(route, trace, [], soonest)
        tries: dict[str, int] = {}
        errors: list[ModelplexError] = []
        waited = 0.0
        while pool:
            now = time.monotonic()
            if now >= deadline:
                c = pool[0]
                errors.append(RequestTimeoutError(f"the routing deadline of {policy.deadline:g}s passed",
                                                  provider=c.provider, model=c.model))
                break
            index, reservation = 0, None
            if self.limiter is not None:
                choices = [self.limiter.buckets(c.provider, c.model) for c in pool]
                lease = min(policy.deadline, max(self._call_timeout(c) for c in pool)) + _LEASE_MARGIN
                found, reservation, hint = await self.limiter.acquire(
                    choices, reserve, lease, deadline, wait=policy.on_limit == "wait")
                waited += time.monotonic() - now
                if found is None:
                    c = pool[0]
                    why = "now" if policy.on_limit == "fail" else "before the routing deadline"
                    full = LocalRateLimitError(f"the configured rate limit leaves no room {why}; no request "
                                               "was sent", provider=c.provider, model=c.model,
                                               retry_after=hint)
                    trace.attempt(c.address, 0.0, waited=waited, error=full)
                    errors.append(full)
                    break
                index = found
            c = pool[index]
            started = time.monotonic()
            try:
                call_timeout = self._call_timeout(c)
                if deadline - started < call_timeout:
                    limit, what = max(0.0, deadline - started), f"the routing deadline ({policy.deadline:g}s)"
                else:
                    limit, what = call_timeout, f"the call timeout ({call_timeout:g}s)"
                result = await self._timed(c, limit, attempt, what)
            except BaseException as exc:
                duration = time.monotonic() - started
                if reservation is not None:
                    await self._settle(reservation, 0)
                if not isinstance(exc, ModelplexError):
                    raise  # cancelled, or interrupted: not a failure of the model
                trace.attempt(c.address, duration, waited=waited, error=exc)
                waited = 0.0
                await self.failed(c.address, exc, policy)
                errors.append(exc)
                retry = tries.get(c.address, 0)
                tries[c.address] = retry + 1
                moving_on = isinstance(exc, RateLimitError) and len(pool) > 1
                delay = None if moving_on else policy.retry_delay(exc, retry, self.rng)
                if delay is None or time.monotonic() + delay >= deadline:
                    pool.pop(index)
                    continue
                await anyio.sleep(delay)
                waited = delay
                continue
            if tokens_of is not None:
                if reservation is not None:  # a provider that counted nothing keeps the estimate
                    await self._settle(reservation, tokens_of(result) or reservation.tokens)
                trace.attempt(c.address, time.monotonic() - started, waited=waited)
                await self.succeeded(c.address)
            return Outcome(result, c, reservation, trace, waited, started)
        raise self._exhausted(route, trace, errors, soonest)

    def _call_timeout(self, c: Candidate) -> float:
        try:
            return self.client.context(c.provider).settings.call_timeout
        except ModelplexError:
            return DEFAULT_CALL_TIMEOUT  # the attempt itself then raises the real error

    async def _timed(self, c: Candidate, limit: float, attempt: Callable[[Candidate], Awaitable[T]],
                     what: str | None = None) -> T:
        try:
            if _on_asyncio():  # the same, at a third of the cost of anyio's cancel scope
                async with asyncio.timeout(limit):
                    return await attempt(c)
            with anyio.fail_after(limit):
                return await attempt(c)
        except TimeoutError:
            raise RequestTimeoutError(f"no answer within {what or f'the call timeout ({limit:g}s)'}",
                                      provider=c.provider, model=c.model) from None

    async def _settle(self, reservation: Reservation, tokens: int) -> None:
        assert self.limiter is not None
        with anyio.CancelScope(shield=True):
            await self.limiter.settle(reservation, tokens)

    def _exhausted(self, route: Route, trace: TraceBuilder, errors: Sequence[ModelplexError],
                   soonest: float | None) -> ModelplexError:
        built = trace.build(None)
        last = errors[-1] if errors else None
        if route.chain is None and last is not None:
            if isinstance(last, ProviderError):
                last.trace = built
            return last
        retryable = soonest is not None or any(getattr(e, "is_retryable", False) for e in errors)
        parts = [f"{s.model} skipped: {s.reason}" for s in built.skipped]
        parts += [f"{a.model} failed: {a.error}" for a in built.failures]
        if not built.candidates and route.builtin and route.chain is not None \
                and route.chain.name == LOCAL_CHAIN:
            parts.append("no server on this machine listed a chat model")
        elif not built.candidates:
            parts.append("the chain has no model whose provider is installed")
        provider, model = split_model(route.address)
        message = "no model could answer: " + "; ".join(parts)
        error = RoutingError(message[:4000], provider=provider, model=model, trace=built,
                             retryable=retryable, retry_after=soonest)
        if last is not None:
            error.__cause__ = last
        return error

    async def aclose(self) -> None:
        self._directs.clear()  # they hold the providers' contexts, which the client has closed
        if self.limiter is not None:
            await self.limiter.store.aclose()
        await self.cooldowns.aclose()

    # -- cool-downs ----------------------------------------------------------------------------------
    async def failed(self, key: str, exc: BaseException, policy: RoutingPolicy | None = None) -> None:
        if not counts(exc):
            return
        policy = policy or self.config.policy
        self._failed.add(key)
        await self.cooldowns.failure(key, describe(exc), threshold=policy.cooldown_after,
                                     period=policy.cooldown, retry_after=retry_after(exc, MAX_COOLDOWN))

    async def succeeded(self, key: str, always: bool = False) -> None:
        if always or key in self._failed:
            self._failed.discard(key)
            await self.cooldowns.success(key)

    # -- chat, embed, stream -------------------------------------------------------------------------
    async def chat(self, route: Route, messages: tuple[Message, ...], options: ChatOptions) -> ChatResponse:
        base = prompt_tokens(messages)

        def tokens(c: Candidate) -> int:
            return base + prompt_tokens((), c.options(options))

        async def attempt(c: Candidate) -> ChatResponse:
            request = ChatRequest(model=c.model, messages=messages, options=c.options(options))
            response: ChatResponse = await self.client._await(
                c.provider, c.model, self.client._call(c.provider, "modelplex_chat", request=request))
            return response

        outcome = await self._run(route, "chat", options, tokens, request_tokens(messages, options), attempt,
                                  lambda r: r.usage.total)
        return attrs.evolve(outcome.result, trace=outcome.trace.build(outcome.candidate.address))

    async def embed(self, route: Route, request: EmbedRequest) -> EmbedResponse:
        size = text_tokens(request.inputs)

        async def attempt(c: Candidate) -> EmbedResponse:
            one = attrs.evolve(request, model=c.model)
            response: EmbedResponse = await self.client._await(
                c.provider, c.model, self.client._call(c.provider, "modelplex_embed", request=one))
            return response

        outcome = await self._run(route, "embed", None, lambda c: size, size, attempt,
                                  lambda r: r.usage.total)
        return attrs.evolve(outcome.result, trace=outcome.trace.build(outcome.candidate.address))

    def stream(self, route: Route, messages: tuple[Message, ...],
               options: ChatOptions) -> AbstractAsyncContextManager[RoutedEvents]:
        return self._stream(route, messages, options)

    @asynccontextmanager
    async def _stream(self, route: Route, messages: tuple[Message, ...],
                      options: ChatOptions) -> AsyncIterator[RoutedEvents]:
        base = prompt_tokens(messages)

        def tokens(c: Candidate) -> int:
            return base + prompt_tokens((), c.options(options))

        async def attempt(c: Candidate) -> _Opened:
            request = ChatRequest(model=c.model, messages=messages, options=c.options(options))
            opened = _Opened(self.client, c)
            await opened.open(request, until_content=True)
            return opened

        outcome = await self._run(route, "stream", options, tokens, request_tokens(messages, options),
                                  attempt, None)
        events = _Events(self, outcome, route.policy)
        try:
            yield events
        except BaseException as exc:
            await events.close(exc)
            raise
        await events.close(None)

    # -- the direct path: one model, no routing configured ---------------------------------------------
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

    @property
    def has_failures(self) -> bool:
        """Whether any model failed since its last success (a success must then clear it)."""
        return bool(self._failed)

    def _call_timeout_direct(self, provider: str) -> float:
        return self.client.context(provider).settings.call_timeout

    def direct_stream(self, provider: str, model: str,
                      request: ChatRequest) -> AbstractAsyncContextManager[RoutedEvents]:
        return self._direct_stream(provider, model, request)

    @asynccontextmanager
    async def _direct_stream(self, provider: str, model: str,
                             request: ChatRequest) -> AsyncIterator[RoutedEvents]:
        address = f"{provider}/{model}"
        c = Candidate(address, provider, model)
        trace = TraceBuilder(address)
        trace.candidates.append(address)
        opened = _Opened(self.client, c)
        started = time.monotonic()
        try:
            await self._timed(c, self._call_timeout_direct(provider),
                              lambda _: opened.open(request, until_content=False))
        except ModelplexError as exc:
            trace.attempt(address, time.monotonic() - started, error=exc)
            if isinstance(exc, ProviderError):
                exc.trace = trace.build(None)
            await self.failed(address, exc)
            raise
        events = _Events(self, Outcome(opened, c, None, trace, 0.0, started), self.config.policy)
        try:
            yield events
        except BaseException as exc:
            await events.close(exc)
            raise
        await events.close(None)


class _Opened:
    """A provider's stream, opened and read up to its first content event (or first event)."""

    def __init__(self, client: AsyncClient, candidate: Candidate) -> None:
        self.client = client
        self.candidate = candidate
        self.cm: AbstractAsyncContextManager[AsyncIterator[StreamEvent]] | None = None
        self.iterator: AsyncIterator[StreamEvent] | None = None
        self.buffer: list[StreamEvent] = []
        self.ended = False

    def wrap(self, exc: BaseException) -> ModelplexError:
        from modelplex._translate import translate

        c = self.candidate
        try:
            plugin = self.client.context(c.provider).settings.plugin
        except ModelplexError:
            plugin = c.provider
        return translate(exc, c.provider, c.model, plugin)

    async def open(self, request: ChatRequest, *, until_content: bool) -> _Opened:
        c = self.candidate
        try:
            self.cm = self.client._call(c.provider, "modelplex_chat_stream", request=request)
            events = await self.cm.__aenter__()
            self.iterator = events.__aiter__()
            while True:
                try:
                    event = await self.iterator.__anext__()
                except StopAsyncIteration:
                    self.ended = True
                    break
                self.buffer.append(event)
                if not until_content or is_content(event) or isinstance(event, Finished):
                    break
            if self.ended and not any(isinstance(e, Finished) for e in self.buffer):
                raise StreamInterruptedError("the stream ended before the provider said it was finished",
                                             provider=c.provider, model=c.model)
        except BaseException as exc:
            await self.close(exc)
            if isinstance(exc, Exception) and not isinstance(exc, ModelplexError):
                raise self.wrap(exc) from exc
            raise
        return self

    async def close(self, exc: BaseException | None) -> None:
        cm, self.cm = self.cm, None
        if cm is None:
            return
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            if exc is None:
                await cm.__aexit__(None, None, None)
            else:
                await cm.__aexit__(type(exc), exc, exc.__traceback__)


class _Events(RoutedEvents):
    """The events of the stream that was chosen: those held back, then the rest as they come."""

    def __init__(self, router: Router, outcome: Outcome[_Opened], policy: RoutingPolicy) -> None:
        self._router = router
        self._outcome = outcome
        self._opened = outcome.result
        self._policy = policy
        self._usage: int | None = None
        self._error: ModelplexError | None = None
        self._finished = False
        self._recorded = False
        self.provider = outcome.candidate.provider
        self.model = outcome.candidate.model
        self.trace: RoutingTrace | None = None
        self._events: AsyncIterator[StreamEvent] | None = None
        self._each: Callable[[StreamEvent], None] | None = None
        self._end: Callable[[], None] | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._events is None:  # one iteration, however many loops take part in it
            self._events = self._iterate()
        return self._events

    def observe(self, each: Callable[[StreamEvent], None], end: Callable[[], None]) -> None:
        self._each, self._end = each, end

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        opened = self._opened
        each = self._each
        try:
            while opened.buffer:
                event = opened.buffer.pop(0)
                self._note(event)
                if each is not None:
                    each(event)
                yield event
            if not opened.ended and opened.iterator is not None:
                async for event in opened.iterator:
                    if type(event) is not TextDelta:  # text, most events, says nothing to note
                        self._note(event)
                    if each is not None:
                        each(event)
                    yield event
                opened.ended = True
        except ModelplexError as exc:
            await self._record(exc)
            raise
        except Exception as exc:
            error = opened.wrap(exc)
            await self._record(error)
            raise error from exc
        if not self._finished:
            c = self._outcome.candidate
            error = StreamInterruptedError("the stream ended before the provider said it was finished",
                                           provider=c.provider, model=c.model)
            await self._record(error)
            raise error
        await self._record(None)
        if self._end is not None:
            self._end()

    def _note(self, event: StreamEvent) -> None:
        if isinstance(event, UsageReported):
            self._usage = event.usage.total
        elif isinstance(event, Finished):
            self._finished = True

    async def _record(self, error: ModelplexError | None) -> None:
        """The end of the stream: its attempt goes into the trace, its outcome into the cool-downs."""
        if self._recorded:
            return
        self._recorded = True
        o = self._outcome
        address = o.candidate.address
        o.trace.attempt(address, time.monotonic() - o.started, waited=o.waited, error=error)
        self.trace = o.trace.build(address)
        if error is not None:
            self._error = error
            if isinstance(error, ProviderError):
                error.trace = self.trace
            await self._router.failed(address, error, self._policy)
        else:
            await self._router.succeeded(address)

    async def close(self, exc: BaseException | None) -> None:
        """Leaving the block: the provider's stream is closed and the reservation settled."""
        await self._opened.close(exc)
        if not self._recorded:  # left early: not a failure of the model
            self._recorded = True
            o = self._outcome
            o.trace.attempt(o.candidate.address, time.monotonic() - o.started, waited=o.waited)
            self.trace = o.trace.build(o.candidate.address)
        reservation = self._outcome.reservation
        if reservation is not None:
            tokens = self._usage if self._usage is not None else reservation.tokens
            await self._router._settle(reservation, tokens)
