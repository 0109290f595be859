"""Deciding: which rule matches a request and a candidate (the first), and whether the candidate meets it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import attrs

from modelplex._policy.rules import Policy, Rule, Verdict

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo

@attrs.frozen(kw_only=True)
class Request:
    """What a rule may match of a call: its tags, its caller and agent (the ``agent`` tag)."""

    tags: Mapping[str, str] = attrs.field(factory=dict)
    caller: str | None = None

    @property
    def agent(self) -> str | None:
        return self.tags.get("agent")


class Candidate:
    """One model a call may go to, its facts read only when a rule asks: ``info()`` (merged
    :class:`~modelplex.ModelInfo`, ``None``: nothing known) and ``cost()`` (the request's worst case in
    dollars, ``None`` when unknown; absent: no request to estimate, as for ``policy explain``)."""

    __slots__ = ("_cost", "_info", "address", "cost", "info", "provider")

    def __init__(self, address: str, provider: str, info: Callable[[], ModelInfo | None],
                 cost: Callable[[], Decimal | None] | None) -> None:
        self.address, self.provider = address, provider
        self.info, self.cost = info, cost


def _any(globs: tuple[str, ...], value: str | None) -> bool:
    return value is not None and any(fnmatchcase(value, g) for g in globs)


def _tag_matches(spec: str, tags: Mapping[str, str]) -> bool:
    name, eq, glob = spec.partition("=")
    if name not in tags:
        return False
    return not eq or fnmatchcase(tags[name], glob)


def unmatched(rule: Rule, request: Request, address: str) -> str | None:
    """Why ``rule`` does not apply (``None``: it does)."""
    m = rule.match
    missing = [t for t in m.tags if not _tag_matches(t, request.tags)]
    if missing:
        return f"the request has no tag {', '.join(missing)}"
    if m.agents and not _any(m.agents, request.agent):
        return f"the agent ({request.agent or 'none'}) is not {' or '.join(m.agents)}"
    if m.callers and not _any(m.callers, request.caller):
        return f"the caller ({request.caller or 'none'}) is not {' or '.join(m.callers)}"
    if m.models and not _any(m.models, address):
        return f"{address} is not {' or '.join(m.models)}"
    return None


def failures(rule: Rule, request: Request, c: Candidate) -> tuple[list[str], bool]:
    """Each constraint of ``rule`` that ``c`` fails, as a reason; and whether ``max_cost`` was left
    unchecked (no request to estimate)."""
    if rule.deny:
        return ["the rule denies it"], False
    out = [f"the request has no tag {t!r}, which the rule requires" for t in rule.require_tags
           if t not in request.tags]
    if rule.models and not _any(rule.models, c.address):
        out.append(f"{c.address} is not among the models it allows ({', '.join(rule.models)})")
    if _any(rule.deny_models, c.address):
        out.append(f"{c.address} matches a model it denies ({', '.join(rule.deny_models)})")
    if rule.providers and not _any(rule.providers, c.provider):
        out.append(f"provider {c.provider!r} is not among those it allows ({', '.join(rule.providers)})")
    if _any(rule.deny_providers, c.provider):
        out.append(f"provider {c.provider!r} is one it denies")
    # Read only for a rule about the model itself: the merge costs a catalog lookup.
    model = c.info() if rule.tiers or rule.capabilities or rule.privacy or rule.retention else None
    if rule.tiers:
        tier = model.tier if model is not None else None
        if tier not in rule.tiers:
            what = f"its tier is {tier}" if tier else "its tier is not known"
            out.append(f"{what}; the rule allows {', '.join(rule.tiers)}")
    for capability in rule.capabilities:
        if model is None or getattr(model.capabilities, capability) is not True:
            out.append(f"it is not known to support {capability}")
    local = model is not None and model.local
    if rule.privacy == "local" and not local:
        out.append("it is not a model on this machine (the rule allows local models only)")
    elif rule.privacy == "remote" and local:
        out.append("it is a local model (the rule allows remote models only)")
    if rule.retention and not local:
        note = model.retention if model is not None else None
        if note is None:
            out.append("its provider's data retention is not known")
        elif not any(fnmatchcase(note.lower(), g.lower()) for g in rule.retention):
            out.append(f"its provider's retention ({note}) is not one the rule allows")
    pending = False
    if rule.max_cost is not None:
        if c.cost is None:
            pending = True
        else:
            worst = c.cost()
            if worst is None:
                out.append("its worst-case cost is not known (no price, or no bound on the output); "
                           f"the rule allows at most ${rule.max_cost}")
            elif worst > rule.max_cost:
                out.append(f"its worst-case cost ${worst} is more than the ${rule.max_cost} the rule allows")
    return out, pending


def decide(policy: Policy, request: Request, c: Candidate) -> Verdict:
    """The first rule that matches decides; none: the policy's default."""
    skipped: list[tuple[Rule, str]] = []
    for rule in policy.rules:
        why = unmatched(rule, request, c.address)
        if why is not None:
            skipped.append((rule, why))
            continue
        reasons, pending = failures(rule, request, c)
        return Verdict(allowed=not reasons, rule=rule, reasons=reasons,
                       dry_run=bool(reasons) and (policy.dry_run or rule.dry_run), skipped=skipped,
                       pending_cost=pending)
    denied = policy.default == "deny"
    return Verdict(allowed=not denied, reasons=["no rule matches and the policy's default is deny"] if denied
                   else [], dry_run=denied and policy.dry_run, skipped=skipped)
