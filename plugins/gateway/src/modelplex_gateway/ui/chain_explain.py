"""For a sample request, each candidate of an address with why it would be used or skipped.

Nothing is re-implemented: the candidates and the checks that rule one out before any request
(provider not configured, a capability the model lacks, a prompt larger than its context window, a
cool-down) are the router's own (:func:`modelplex._routing.candidates.candidates` and
:func:`~modelplex._routing.candidates.eligible`); the policy's verdict is
:func:`modelplex._policy.matching.decide`, as ``modelplex policy explain`` asks it; a budget is spent
when the store's budget status says a hard budget covering the candidate has nothing left.

The configuration is the one on disk (a chain reordered in the dashboard is explained in its new
order); the cool-downs are the serving client's, which its calls have counted.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import modelplex
    from modelplex._options import ChatOptions


@attrs.frozen(kw_only=True, slots=True)
class Sample:
    """The sample request: the address called, its prompt (or only its size in tokens: a long prompt
    need not be pasted to see which models' windows hold it), what it asks of the model, who calls."""

    address: str
    prompt: str = "Hello"
    tokens: int | None = None
    tools: bool = False
    json_schema: bool = False
    tags: Mapping[str, str] = attrs.field(factory=dict)
    caller: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class Verdict:
    """One candidate: ``used`` (the first one used would answer, the others are fallbacks), and why
    (``check`` names what decided: ``capability``, ``context``, ``configuration``, ``cool-down``,
    ``policy``, ``budget``, or ``ok``)."""

    address: str
    used: bool
    check: str
    reason: str


@attrs.frozen(kw_only=True, slots=True)
class Explanation:
    """Every candidate of ``address`` (what the sample's address resolved to), in the chain's order."""

    asked: str
    address: str
    tokens: int
    verdicts: tuple[Verdict, ...]
    problem: str | None = None


def _check_of(reason: str) -> str:
    if "cooling down" in reason:
        return "cool-down"
    if "context window" in reason:
        return "context"
    if reason.startswith(("provider not", "the provider does not")):
        return "configuration"
    if "model list could not be read" in reason:
        return "configuration"
    return "capability"


def _options(sample: Sample) -> ChatOptions:
    from modelplex._options import ChatOptions, ResponseFormat
    from modelplex._tools import Tool

    return ChatOptions(
        tools=(Tool(name="lookup", description="a sample tool"),) if sample.tools else (),
        response_format=ResponseFormat(type="json_schema", name="sample",
                                       schema={"type": "object", "properties": {}})
        if sample.json_schema else None)


def _resolve(client: modelplex.AsyncClient, sample: Sample) -> tuple[str, dict[str, str], ChatOptions]:
    """The address ``sample.address`` calls (an agent's model, an alias's target), its tags, options."""
    from modelplex._agents.resolve import find_agent
    from modelplex._aliases import expand

    tags = dict(sample.tags)
    options = _options(sample)
    address = sample.address
    if address.startswith("agent/"):
        agent = find_agent(client, address.removeprefix("agent/"))
        tags = {**agent.call_tags(None), **tags}
        address = agent.model or address
    if "/" not in address:
        address = expand(client, address)
    return address, tags, options


async def _spent_budgets(client: modelplex.AsyncClient) -> list[Any]:
    """The hard budgets with nothing left now (none without modelplex-store, or without budgets)."""
    if importlib.util.find_spec("modelplex_store") is None:
        return []
    from modelplex_store.budgets.model import budgets_from
    from modelplex_store.budgets.plugin import ledger_for, ledger_settings
    from modelplex_store.budgets.status import statuses

    declared = [b for b in budgets_from(client.config) if b.hard]
    if not declared:
        return []
    url, prefix, _ = ledger_settings(client.config, client.settings.env)
    ledger = ledger_for(url, prefix)
    try:
        return [s for s in await statuses(declared, ledger) if s.left <= 0]
    finally:
        await ledger.aclose()


async def explain(configured: modelplex.AsyncClient, serving: modelplex.AsyncClient,
                  sample: Sample) -> Explanation:
    """Each candidate of ``sample`` with why it would be used or skipped."""
    from modelplex import ModelplexError
    from modelplex._catalog.merge import model_info
    from modelplex._chains import Chain
    from modelplex._estimate import prompt_tokens
    from modelplex._messages import Message
    from modelplex._policy import matching
    from modelplex._policy.rules import Policy
    from modelplex._routing.address import split_model
    from modelplex._routing.candidates import Route, candidates, eligible
    from modelplex._trace import TraceBuilder

    try:
        address, tags, options = _resolve(configured, sample)
        router = configured.router
        own = router.cooldowns
        # The router of the configuration on disk, reading the serving client's cool-downs: those its
        # calls counted. Only read (eligible() asks for states), and given back before this client is
        # closed, which closes its router's store: the serving client's must stay open.
        router.cooldowns = serving.router.cooldowns
        try:
            route = router.route(address)
            if route is None or route.chain is None:
                # One model: the same checks, as the one entry of a chain (a direct call makes them
                # too, by failing).
                route = Route(address=address, policy=router.config.policy,
                              chain=Chain.of(address, [address]))
            messages = (Message.user(sample.prompt),)
            trace = TraceBuilder(address)
            found = await candidates(router, route, trace)

            def tokens(c: Any) -> int:
                if sample.tokens is not None:
                    return sample.tokens
                return prompt_tokens(messages, c.options(options))

            pool, _ = await eligible(router, route, found, "chat", options, tokens, trace)
        finally:
            router.cooldowns = own
    except ModelplexError as exc:
        return Explanation(asked=sample.address, address=sample.address, tokens=0, verdicts=(),
                           problem=str(exc))
    skipped = {s.model: s.reason for s in trace.skipped}
    policy = configured.config.get("policy")
    spent = await _spent_budgets(configured)
    verdicts: list[Verdict] = []
    used = False
    order = [c.address for c in found] + [m for m in skipped if m not in {c.address for c in found}]
    kept = {c.address: c for c in pool}
    for name in order:
        if name in skipped:
            verdicts.append(Verdict(address=name, used=False, check=_check_of(skipped[name]),
                                    reason=skipped[name]))
            continue
        c = kept[name]
        provider, model = split_model(c.address)
        if isinstance(policy, Policy):
            def info(p: str = provider, m: str = model) -> modelplex.ModelInfo | None:
                return model_info(configured, p, m)

            candidate = matching.Candidate(c.address, provider, info, None)
            verdict = matching.decide(policy, matching.Request(tags=tags, caller=sample.caller), candidate)
            if not verdict.allowed and not verdict.dry_run:
                rule = verdict.rule
                who = f"policy rule {rule.cited}" if rule is not None else "the policy's default"
                verdicts.append(Verdict(address=name, used=False, check="policy",
                                        reason=f"{who} denies it: {'; '.join(verdict.reasons)}"))
                continue
        over = [s for s in spent if s.budget.subject(provider, model, tags, sample.caller) == s.subject]
        if over:
            s = over[0]
            verdicts.append(Verdict(address=name, used=False, check="budget",
                                    reason=f"budget {s.budget.name!r} is spent: ${s.spent:f} of "
                                           f"${s.budget.limit:f} this {s.budget.window}"))
            continue
        verdicts.append(Verdict(address=name, used=True, check="ok",
                                reason="first choice: it would be called" if not used else
                                "fallback: called if those before it fail"))
        used = True
    size = sample.tokens if sample.tokens is not None else prompt_tokens(messages, options)
    return Explanation(asked=sample.address, address=address, verdicts=tuple(verdicts), tokens=size)
