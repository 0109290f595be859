"""A budget: a limit in US dollars over a window and a scope, hard or soft, with alert thresholds.

Scopes (``scope = "KIND:VALUE"``, or ``"all"``):

* ``all``: every call.
* ``provider:openai``, ``model:openai/gpt-4o*`` (a glob on ``provider/model``): the candidate tried;
  one counter shared by every model the glob matches.
* ``tag:team=search``, ``agent:triage``, ``conversation:c-42``, ``caller:alice``, ``key:k-1``, ``run:r-7``:
  the call's tags (``agent``, ``conversation``, ``key``, ``run``) and its ``caller``. The value ``*``
  (``agent:*``, ``tag:team=*``) gives **each** value a counter of its own ("per agent per day"); a call
  without that tag or caller is outside the budget.

Windows: ``call`` (the limit bounds each call's worst case; nothing is counted), ``run`` (one counter per
value of the ``run`` tag, never reset; a call without one is outside), ``hour``, ``day``, ``month``
(calendar windows in UTC: a day budget resets at 00:00 UTC) and ``total`` (never reset).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import attrs

from modelplex.errors import ConfigurationError

Window = Literal["call", "run", "hour", "day", "month", "total"]
WINDOWS: tuple[Window, ...] = ("call", "run", "hour", "day", "month", "total")
ScopeKind = Literal["all", "provider", "model", "tag", "agent", "conversation", "caller", "key", "run"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("all", "provider", "model", "tag", "agent", "conversation", "caller",
                                      "key", "run")
OnUnavailable = Literal["deny", "allow"]
#: Alert thresholds, in percent of the limit, when a budget names none.
DEFAULT_ALERTS: tuple[int, ...] = (50, 80, 100)
#: The tags that fill the identity scopes (``conversation`` also as ``conversation_id``, as the store has).
_TAG_OF: dict[str, tuple[str, ...]] = {"agent": ("agent",), "key": ("key",), "run": ("run",),
                                       "conversation": ("conversation", "conversation_id")}


def dollars(value: Any, what: str = "limit") -> Decimal:
    """``value`` (a string, an int or a Decimal; a float through its shortest text) as exact dollars >= 0."""
    if isinstance(value, bool):
        raise ConfigurationError(f"budget {what} must be an amount in dollars, got {value!r}")
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigurationError(f"budget {what} must be an amount in dollars, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"budget {what} must be a finite amount >= 0, got {value!r}")
    return amount


@attrs.frozen(kw_only=True)
class Scope:
    """What a budget covers: ``kind`` and ``value`` (a glob for models, ``name=value`` for a tag,
    ``*`` for a counter per value)."""

    kind: ScopeKind = "all"
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``all`` or ``KIND:VALUE``."""
        if text.strip() == "all":
            return cls()
        kind, sep, value = text.partition(":")
        kind = kind.strip()
        if not sep or kind not in SCOPE_KINDS or kind == "all" or not value.strip():
            raise ConfigurationError(f"budget scope {text!r}: expected 'all' or KIND:VALUE with KIND one of "
                                     f"{', '.join(k for k in SCOPE_KINDS if k != 'all')}")
        value = value.strip()
        if kind == "tag" and "=" not in value:
            raise ConfigurationError(f"budget scope {text!r}: a tag scope is 'tag:NAME=VALUE' "
                                     "(VALUE may be *)")
        return cls(kind=kind, value=value)

    def __str__(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.value}"

    def subject(self, provider: str, model: str, tags: Mapping[str, str], caller: str | None) -> str | None:
        """The counter this scope gives a candidate (``provider``/``model``) of a call with ``tags`` and
        ``caller``: ``""`` for the budget's one counter, the value for a per-value one, ``None`` when the
        call is outside the scope."""
        kind, value = self.kind, self.value
        if kind == "all":
            return ""
        if kind == "provider":
            return "" if fnmatch.fnmatchcase(provider, value) else None
        if kind == "model":
            return "" if fnmatch.fnmatchcase(f"{provider}/{model}", value) else None
        if kind == "caller":
            found = caller
        elif kind == "tag":
            name, _, value = value.partition("=")
            found = tags.get(name)
        else:
            found = next((tags[t] for t in _TAG_OF[kind] if t in tags), None)
        if found is None:
            return None
        if value == "*":
            return str(found)
        return "" if str(found) == value else None


def _scope(value: Scope | str) -> Scope:
    return Scope.parse(value) if isinstance(value, str) else value


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _thresholds(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 1000 for v in value):
        raise ConfigurationError(f"budget alerts must be a list of percentages (1-1000), got {value!r}")
    return tuple(sorted(set(value)))


@attrs.frozen(kw_only=True)
class Budget:
    """A limit of ``limit`` dollars per ``window`` over ``scope``.

    ``hard`` budgets refuse a candidate whose worst case does not fit (``BudgetExceeded``); soft ones
    count and alert, never refuse. ``alerts`` are percentages of the limit, each fired once per window
    (and per counter). ``on_unavailable``: what a call does when the ledger cannot be reached (``deny``:
    refused with :class:`~modelplex_store.budgets.errors.BudgetUnavailable`). ``unknown_price``: a
    candidate whose worst case has no price (``deny``, or ``allow``: admitted and counted apart as
    unpriced). ``exempt``: callers (``caller`` names) the budget does not apply to; nobody unless listed.
    """

    name: str
    limit: Decimal = attrs.field(converter=dollars)
    window: Window = "day"
    scope: Scope = attrs.field(factory=Scope, converter=_scope)
    hard: bool = True
    alerts: tuple[int, ...] = attrs.field(default=DEFAULT_ALERTS, converter=_thresholds)
    on_unavailable: OnUnavailable = "deny"
    unknown_price: OnUnavailable = "deny"
    exempt: tuple[str, ...] = attrs.field(default=(), converter=_names)

    def __attrs_post_init__(self) -> None:
        if not self.name or "|" in self.name:
            raise ConfigurationError(f"a budget needs a name without '|', got {self.name!r}")
        if self.window not in WINDOWS:
            raise ConfigurationError(f"budget {self.name!r}: window must be one of {', '.join(WINDOWS)}, "
                                     f"got {self.window!r}")
        for key in ("on_unavailable", "unknown_price"):
            if getattr(self, key) not in ("deny", "allow"):
                raise ConfigurationError(f"budget {self.name!r}: {key} must be 'deny' or 'allow'")

    def subject(self, provider: str, model: str, tags: Mapping[str, str], caller: str | None) -> str | None:
        """The counter of this budget a candidate uses (see :meth:`Scope.subject`); ``None``: not in scope
        (outside the scope, an exempt caller, a ``run`` window without a ``run`` tag)."""
        if caller is not None and caller in self.exempt:
            return None
        subject = self.scope.subject(provider, model, tags, caller)
        if subject is None or self.window != "run":
            return subject
        run = tags.get("run")
        return None if run is None else f"{subject}|{run}" if subject else str(run)

    def describe(self) -> dict[str, Any]:
        """The budget as plain data (the CLI's ``--json``, the ``budget_changes`` rows)."""
        return {"name": self.name, "limit": str(self.limit), "window": self.window, "scope": str(self.scope),
                "hard": self.hard, "alerts": list(self.alerts), "on_unavailable": self.on_unavailable,
                "unknown_price": self.unknown_price, "exempt": list(self.exempt)}


_KEYS = {"name", "limit", "window", "scope", "hard", "alerts", "on_unavailable", "unknown_price", "exempt"}


def budget_from(table: Mapping[str, Any], index: int = 0) -> Budget:
    """One ``[[budgets]]`` table as a :class:`Budget`; a clear error naming the entry otherwise."""
    name = table.get("name")
    where = f"[[budgets]] #{index + 1}" + (f" ({name!r})" if isinstance(name, str) else "")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting(s) {sorted(unknown)}; "
                                 f"known: {', '.join(sorted(_KEYS))}")
    if "limit" not in table:
        raise ConfigurationError(f"{where}: 'limit' (dollars) is required")
    if "hard" in table and not isinstance(table["hard"], bool):
        raise ConfigurationError(f"{where}: 'hard' must be true or false")
    exempt = table.get("exempt", [])
    if not isinstance(exempt, list) or not all(isinstance(e, str) for e in exempt):
        raise ConfigurationError(f"{where}: 'exempt' must be a list of caller names")
    args = {k: v for k, v in table.items() if k in _KEYS}
    args.setdefault("name", f"budget-{index + 1}")
    try:
        return Budget(**args)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc.message}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def budgets_from(config: Mapping[str, Any]) -> tuple[Budget, ...]:
    """Every ``[[budgets]]`` entry of a config file's contents (names must be unique)."""
    entries = config.get("budgets", [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigurationError("'budgets' must be an array of tables: [[budgets]]")
    found = tuple(budget_from(e, i) for i, e in enumerate(entries))
    names = [b.name for b in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigurationError(f"[[budgets]]: the name(s) {twice} are used twice")
    return found
