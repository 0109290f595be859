"""Addresses, routes and candidates: what a call may go to, and what rules a candidate out before any
request (provider not installed or not configured, a capability the model lacks, a prompt larger than
its context window, a cool-down)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from modelplex._call.attempt import listing
from modelplex._catalog.merge import model_info as merged_info
from modelplex._chains import Chain, ChainEntry
from modelplex._cooldown import PROBE_POLL, describe, half_open
from modelplex._known_models import LOCAL_CHAIN, chats
from modelplex._options import ChatOptions
from modelplex._retry import RoutingPolicy
from modelplex._routing.address import split_model
from modelplex.errors import ModelplexError
from modelplex.toolkit.loopback import is_loopback

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._routing.router import Router
    from modelplex._trace import TraceBuilder

LOCAL_LISTING_TTL = 60.0  # seconds the local chain's model lists are kept
HOOKS = {"chat": "modelplex_chat", "stream": "modelplex_chat_stream", "embed": "modelplex_embed",
         "rerank": "modelplex_rerank"}
_WHAT = {"embed": "embeddings", "rerank": "reranking"}


@attrs.frozen
class Candidate:
    """One model a call may go to, with the chain entry whose option overrides apply to it."""

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


async def candidates(router: Router, route: Route, trace: TraceBuilder) -> list[Candidate]:
    """The models ``route`` may go to, in order (a built-in chain holds only installed providers)."""
    if route.chain is None:
        provider, model = split_model(route.address)
        return [Candidate(route.address, provider, model)]
    if route.builtin and route.chain.name == LOCAL_CHAIN:
        return await local_candidates(router, trace)
    out = []
    client = router.client
    records = client.registry.records
    for e in route.chain.entries:
        provider, model = split_model(e.model)
        if route.builtin and client.settings.plugin_for(provider) not in records:
            continue
        out.append(Candidate(e.model, provider, model, e))
    return out


async def local_candidates(router: Router, trace: TraceBuilder) -> list[Candidate]:
    """The chat models that servers on this machine list (read at most every ``LOCAL_LISTING_TTL``)."""
    client = router.client
    now = time.monotonic()
    if router.local is None or now - router.local[0] > LOCAL_LISTING_TTL:
        found: list[Candidate] = []
        skips: list[tuple[str, str]] = []
        for name in sorted({*client.registry.names, *client.settings.configured_names()}):
            try:
                ctx = client.context(name)
            except ModelplexError:
                continue
            record = client.registry.records.get(ctx.settings.plugin)
            if record is None or "modelplex_list_models" not in record.hooks \
                    or not is_loopback(ctx.settings.base_url):
                continue
            try:
                models = await listing(client, name, limit=10.0)
            except ModelplexError as exc:
                skips.append((f"{name}/*", f"its model list could not be read: {describe(exc)}"))
                continue
            # What the catalog knows completes the listing: Ollama's /api/tags alone does not say
            # that nomic-embed-text makes embeddings and cannot chat.
            found += [Candidate(m.address, name, m.id) for m in models
                      if chats(merged_info(client, name, m.id) or m)]
        router.local = (now, found, skips)
    for model, reason in router.local[2]:
        trace.skip(model, reason)
    return list(router.local[1])


def model_info(router: Router, candidate: Candidate) -> ModelInfo | None:
    """What is known of a candidate: the catalog, its provider's listing (if read), the overrides."""
    return merged_info(router.client, candidate.provider, candidate.model)


def static_reason(router: Router, c: Candidate, kind: str, options: ChatOptions | None,
                  tokens: int) -> str | None:
    """Why ``c`` cannot serve this request whatever its state (``None``: it may)."""
    client = router.client
    try:
        ctx = client.context(c.provider)
        record = client.registry.owner(ctx.settings.plugin)
    except ModelplexError as exc:
        return f"provider not available: {exc.message}"
    if record.info.requires_api_key and not ctx.settings.api_key:
        where = f" (set {' or '.join(ctx.settings.api_key_env)})" if ctx.settings.api_key_env else ""
        return f"provider not configured: no API key{where}"
    if HOOKS[kind] not in record.hooks:
        return f"the provider does not support {_WHAT.get(kind, 'chat')}"
    info = model_info(router, c)
    if info is None or kind == "rerank":  # no capability says "reranks"; its window is per document
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


async def eligible(router: Router, route: Route, found: Sequence[Candidate], kind: str,
                   options: ChatOptions | None, tokens: Callable[[Candidate], int],
                   trace: TraceBuilder, turns: set[str] | None = None,
                   lease: Callable[[Candidate], float] | None = None) -> tuple[list[Candidate], float | None]:
    """The candidates of a chain that may be tried now, and the soonest end of a cool-down. A model
    whose cool-down has ended is kept only when this call takes the turn at it (its address added to
    ``turns``, for ``lease(c)`` seconds; see :mod:`modelplex._cooldown`); while another call has it, it
    counts as cooling down for :data:`PROBE_POLL` more seconds."""
    if route.chain is None:
        return list(found), None
    keys = {k for c in found for k in (c.address, c.provider)}
    states = await router.cooldowns.get(keys)
    now = time.time()
    keep, soonest = [], None
    for c in found:
        opts = c.options(options) if options is not None else None
        reason = static_reason(router, c, kind, opts, tokens(c))
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
        ended = states.get(c.address)
        if turns is not None and lease is not None and ended is not None and half_open(ended, now) \
                and c.address not in turns:
            busy = await router.cooldowns.probe(c.address, lease(c))
            if busy:  # another call's turn (or cooling down again since the states were read)
                left = min(busy, PROBE_POLL)
                soonest = left if soonest is None else min(soonest, left)
                trace.skip(c.address, f"another call is trying it first, its cool-down over after "
                                      f"{ended.failures} failure(s); last error: {ended.last_error}")
                continue
            if busy is not None:
                turns.add(c.address)
        keep.append(c)
    return keep, soonest

