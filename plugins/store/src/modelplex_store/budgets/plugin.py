"""The budgets plugin: ``[[budgets]]`` from the config file (entry point ``store-budgets``), or budgets
given from Python::

    from modelplex_store.budgets import Budget, BudgetPlugin

    plugin = BudgetPlugin([Budget(name="agents", limit="2.50", window="day", scope="agent:*")])
    client = modelplex.AsyncClient(plugins={"budgets": plugin})

The ledger (``[budget_ledger]``) is the store's database by default (``url = "store"``: ``[store] url``
or the default SQLite file); ``url = "redis"`` uses the routing's ``redis`` URL (and ``redis_prefix``);
any ``redis://``, ``postgresql://`` or SQLite URL names its own. ``lease`` (seconds) is how long a
reservation left by a killed process keeps counting: by default 600, or the routing deadline plus a
minute when that is longer (a call still running never outlives its reservation).

The entry point's object is worked out from the config file when plugins are discovered: with no
``[[budgets]]`` it is an idle plugin, so that a client without budgets does not take the per-attempt
admission path at all.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from modelplex.errors import ConfigurationError
from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:  # imported when first used: discovery imports this module in every process
    from modelplex_store.budgets.admitter import Admitter
    from modelplex_store.budgets.ledger import Ledger
    from modelplex_store.budgets.model import Budget


def ledger_for(url: str, prefix: str = "modelplex") -> Ledger:
    """The ledger a URL names: Redis for ``redis://``/``rediss://``/``unix://``, else the store's kinds."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from modelplex_store.budgets.redis_ledger import RedisLedger

        return RedisLedger(url, prefix)
    from modelplex_store.budgets.sql import SqlLedger

    return SqlLedger(url)


def ledger_settings(config: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, str, float | None]:
    """The ledger's URL, Redis prefix and lease from ``[budget_ledger]`` (see the module docstring)."""
    table = config.get("budget_ledger", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[budget_ledger] must be a table")
    unknown = set(table) - {"url", "lease"}
    if unknown:
        raise ConfigurationError(f"[budget_ledger]: unknown setting(s) {sorted(unknown)}; known: url, lease")
    lease = table.get("lease")
    if lease is not None and (isinstance(lease, bool) or not isinstance(lease, int | float) or lease <= 0):
        raise ConfigurationError(f"[budget_ledger] 'lease' must be seconds > 0, got {lease!r}")
    url = table.get("url", "store")
    prefix = config.get("redis_prefix", "modelplex")
    if url == "store":
        from modelplex_store.config import resolve

        url = resolve(config, env).url
    elif url == "redis":
        url = config.get("redis")
        if not isinstance(url, str):
            raise ConfigurationError("[budget_ledger] url = \"redis\" needs the top-level 'redis' URL")
    if not isinstance(url, str) or not url:
        raise ConfigurationError("[budget_ledger] 'url' must be \"store\", \"redis\" or a URL")
    return url, str(prefix), None if lease is None else float(lease)


class BudgetPlugin:
    """Enforces ``budgets`` (every one given, or ``[[budgets]]`` of the config file when ``None``) with
    the ledger at ``ledger`` (a URL or a ledger; by default ``[budget_ledger]``'s), leases of ``lease``
    seconds and ``clock`` (``time.time``) for windows."""

    def __init__(self, budgets: Iterable[Budget] | None = None, *, ledger: Ledger | str | None = None,
                 lease: float | None = None, clock: Callable[[], float] = time.time,
                 env: Mapping[str, str] | None = None) -> None:
        self._budgets = None if budgets is None else tuple(budgets)
        self._ledger = ledger
        self._lease = lease
        self._clock = clock
        self._env = env
        self._admitter: Admitter | None = None
        self._lock = threading.Lock()

    @property
    def admitter(self) -> Admitter:
        """The admitter, built from the settings on first use."""
        admitter = self._admitter
        if admitter is None:
            with self._lock:
                if self._admitter is None:
                    self._admitter = self._build()
                admitter = self._admitter
        return admitter

    def _build(self) -> Admitter:
        from modelplex_store.budgets.admitter import Admitter
        from modelplex_store.budgets.model import budgets_from

        config: Mapping[str, Any] = {}
        env = os.environ if self._env is None else self._env
        if self._budgets is None or self._ledger is None:
            from modelplex._config import config_source, load_config

            config = load_config(*config_source(None, env))
        budgets = budgets_from(config) if self._budgets is None else self._budgets
        url, prefix, lease = ledger_settings(config, env)
        ledger = self._ledger if self._ledger is not None else url
        if isinstance(ledger, str):
            ledger = ledger_for(ledger, prefix)
        lease = self._lease if self._lease is not None else lease
        return Admitter(budgets, ledger, lease=lease, clock=self._clock)

    @hookimpl
    def modelplex_before_attempt(self, call: Any, attempt: Any) -> Any:
        """Reserve the candidate's worst case against every budget in scope (an awaitable), or ``None``
        when no budget applies to it."""
        admitter = self.admitter
        scoped = admitter.scoped(call, attempt.provider, attempt.model)
        if not scoped:
            return None
        return admitter.admit(call, attempt, scoped)

    async def aclose(self) -> None:
        """Close the ledger's connections."""
        if self._admitter is not None:
            await self._admitter.ledger.aclose()


class Idle:
    """The entry point's object when no budget is configured: it implements no hook, so that calls do
    not pass through it at all (``modelplex plugins`` lists it with no hooks)."""


def _discovered() -> BudgetPlugin | Idle:
    from modelplex._config import config_source, load_config

    try:
        config = load_config(*config_source(None, os.environ))
    except Exception:  # the client reports a broken config file itself
        return Idle()
    return BudgetPlugin() if config.get("budgets") else Idle()


def __getattr__(name: str) -> Any:
    if name == "PLUGIN":  # the entry point's object, read from the config file when first asked for
        plugin = globals()["PLUGIN"] = _discovered()
        return plugin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
