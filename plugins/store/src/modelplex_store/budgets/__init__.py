"""Budgets that hold under concurrency (issue 15): ``[[budgets]]`` or :class:`Budget` from Python, reserved
per candidate before it is tried, in the store's database or Redis, with alerts and an audit trail.

See :mod:`modelplex_store.budgets.model` (scopes, windows), :mod:`~modelplex_store.budgets.plugin` (the
plugin, the ledger's settings), :mod:`~modelplex_store.budgets.admitter` (reserve, settle, release) and
:mod:`~modelplex_store.budgets.alerts`.
"""

from __future__ import annotations

from modelplex_store.budgets.alerts import BudgetAlert
from modelplex_store.budgets.errors import BudgetUnavailable
from modelplex_store.budgets.model import Budget, Scope, budgets_from
from modelplex_store.budgets.plugin import BudgetPlugin

__all__ = ["Budget", "BudgetAlert", "BudgetPlugin", "BudgetUnavailable", "Scope", "budgets_from"]
