"""The policy as a plugin of the call lifecycle: ``modelplex_before_attempt`` decides each candidate, records
the decision in ``call.decisions`` and refuses a denied one with :class:`~modelplex.errors.PolicyDenied`.

The client registers it (:func:`install`) when its config file has a ``[policy]``; otherwise nothing here is
imported. It reserves nothing: a decision is final when it is taken.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from modelplex._call.decision import Decision
from modelplex._logging import log
from modelplex._policy.matching import Candidate, Request, decide
from modelplex._policy.rules import Policy, Verdict
from modelplex.errors import PolicyDenied
from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex._call.admission import AttemptInfo
    from modelplex._call.lifecycle import CallInfo

NAME = "modelplex-policy"


def _cost(attempt: AttemptInfo) -> Decimal | None:
    return attempt.estimate.cost.total


def message(verdict: Verdict, address: str) -> str:
    """A denial as people read it: the rule (and where it is written), the model, each reason."""
    rule = verdict.rule
    who = f"policy rule {rule.cited}" if rule is not None else "the policy's default"
    return f"{who} denies {address}: {'; '.join(verdict.reasons)}"


def decision(verdict: Verdict, policy: Policy, address: str) -> Decision:
    """The audit record of ``verdict``."""
    rule = verdict.rule
    kind = "admitted" if verdict.allowed else "would-deny" if verdict.dry_run else "denied"
    return Decision(by="policy", decision=kind, model=address,
                    name=rule.label if rule is not None else None,
                    where=rule.where if rule is not None else policy.default_where,
                    reason="; ".join(verdict.reasons) or None)


class PolicyAdmitter:
    """Admits or refuses each candidate of each call by the policy's first matching rule."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    @hookimpl(tryfirst=True)
    def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> None:
        """See :mod:`modelplex._policy`; a retry of the same model was decided already. First of the
        admitters: a budget never reserves for a model the policy forbids."""
        if attempt.retry:
            return
        c = Candidate(attempt.address, attempt.provider, lambda: attempt.info, lambda: _cost(attempt))
        verdict = decide(self.policy, Request(tags=call.tags, caller=call.caller), c)
        call.decisions.append(decision(verdict, self.policy, attempt.address))
        if verdict.allowed:
            return
        rule = verdict.rule
        text = message(verdict, attempt.address)
        if verdict.dry_run:
            log("warning", "policy_would_deny", address=call.address, model=attempt.address,
                rule=rule.label if rule is not None else "default", reason=text)
            return
        raise PolicyDenied(text, rule=rule.label if rule is not None else None,
                           where=rule.where if rule is not None else self.policy.default_where,
                           provider=attempt.provider, model=attempt.model)


def install(client: Any) -> None:
    """Register the client's configured policy (``client.config["policy"]``, read and checked with the
    config file) as a plugin of its call lifecycle."""
    policy = client.config.get("policy")
    if isinstance(policy, Policy):
        client.registry.register(NAME, PolicyAdmitter(policy))
