"""The budgets' own error: a hard budget whose ledger cannot be reached fails closed."""

from __future__ import annotations

from modelplex.errors import BudgetExceeded


class BudgetUnavailable(BudgetExceeded):
    """A hard budget applies to the candidate but its ledger (the store's database, or Redis) cannot be
    reached, and the budget says ``on_unavailable = "deny"`` (the default): refused, nothing sent. A
    :class:`~modelplex.errors.BudgetExceeded`, so that a chain moves on to a candidate outside the budget
    and ``except BudgetExceeded`` catches both; ``spent`` and ``reserved`` are ``None`` (not known)."""
