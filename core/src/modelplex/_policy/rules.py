"""The policy's parts as values: what a rule matches, what it allows, the policy they make."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs

from modelplex._tuples import as_tuple

Privacy = Literal["local", "remote"]


@attrs.frozen(kw_only=True)
class Match:
    """Which requests and candidates a rule applies to: every field given must hold (empty: any).

    ``tags``: each a tag name (present, any value) or ``name=glob`` (its value matches); ``agents``,
    ``callers`` and ``models``: globs on the call's agent (its ``agent`` tag), its caller and the
    candidate's ``provider/model``.
    """

    tags: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    agents: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    callers: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    models: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)


@attrs.frozen(kw_only=True)
class Rule:
    """One rule: where it is written, what it matches, and what it decides for a candidate it matches.

    ``deny`` denies outright; otherwise the candidate must meet every constraint given (``None`` or
    empty: no constraint): allowed ``models`` and ``providers`` (globs), denied ``deny_models`` and
    ``deny_providers``, its ``tiers``, the ``capabilities`` it must be known to have, ``privacy``
    (``local``: on this machine only; ``remote``: never), ``retention`` (globs a remote model's
    retention note must match, case-blind), ``max_cost`` (dollars, the request's worst case on that
    model), ``require_tags`` (the request must carry each). ``dry_run`` makes its denials
    would-be denials.
    """

    index: int  # from 1, in the policy's order
    name: str | None = None
    where: str | None = None  # file:line, when read from a file
    match: Match = attrs.field(factory=Match)
    deny: bool = False
    models: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    deny_models: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    providers: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    deny_providers: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    tiers: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    capabilities: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    privacy: Privacy | None = None
    retention: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    max_cost: Decimal | None = None
    require_tags: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    dry_run: bool = False

    @property
    def label(self) -> str:
        """How messages name it: its name, else its place (``rule 3``)."""
        return repr(self.name) if self.name else f"rule {self.index}"

    @property
    def cited(self) -> str:
        """Its label and where it is written: ``'pii stays here' (policy.toml:12)``."""
        return f"{self.label} ({self.where})" if self.where else self.label


@attrs.frozen(kw_only=True)
class Policy:
    """The rules in order (the first that matches decides), what a candidate none matches gets, and
    whether denials are only recorded (``dry_run``). ``source`` is the file the rules came from."""

    rules: tuple[Rule, ...] = attrs.field(default=(), converter=as_tuple)
    default: Literal["allow", "deny"] = "allow"
    dry_run: bool = False
    source: str | None = None
    default_where: str | None = None  # where ``default`` is written (file:line), if it is


@attrs.frozen(kw_only=True)
class Verdict:
    """A policy's decision for one candidate: ``allowed``, by ``rule`` (``None``: the default), with the
    ``reasons`` a denial gives (each failed constraint); ``dry_run`` when a denial is only recorded;
    ``skipped`` the rules before it that did not match, each with why (for ``policy explain``)."""

    allowed: bool
    rule: Rule | None = None
    reasons: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    dry_run: bool = False
    skipped: tuple[tuple[Rule, str], ...] = attrs.field(default=(), converter=as_tuple)
    pending_cost: bool = False  # max_cost was not checked: no request to estimate (explain)
