"""Budgets that hold under concurrency (issue 15): ``[[budgets]]`` or :class:`Budget` from Python, reserved
per candidate before it is tried, in the store's database or Redis, with alerts and an audit trail.

See :mod:`modelplex_store.budgets.model` (scopes, windows), :mod:`~modelplex_store.budgets.plugin` (the
plugin, the ledger's settings), :mod:`~modelplex_store.budgets.admitter` (reserve, settle, release) and
:mod:`~modelplex_store.budgets.alerts`. Names are imported when first asked for: plugin discovery
imports this package in every process that has the store installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex_store.budgets.alerts import BudgetAlert
    from modelplex_store.budgets.errors import BudgetUnavailable
    from modelplex_store.budgets.model import Budget, Scope, budgets_from
    from modelplex_store.budgets.plugin import BudgetPlugin

_WHERE = {"Budget": "model", "Scope": "model", "budgets_from": "model", "BudgetAlert": "alerts",
          "BudgetUnavailable": "errors", "BudgetPlugin": "plugin"}
__all__ = ["Budget", "BudgetAlert", "BudgetPlugin", "BudgetUnavailable", "Scope", "budgets_from"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
