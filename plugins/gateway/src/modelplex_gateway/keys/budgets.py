"""Each key's own budget, enforced by issue 15's machinery: the store's budget :class:`Admitter`
reserves every candidate's worst case against a budget scoped on the key (``caller:<id>``), in the
shared ledger (``[budget_ledger]``: the store's database or Redis), so the budget holds across every
gateway instance. A key over its budget gets :class:`~modelplex.BudgetExceeded` (HTTP 429,
``x-should-retry: false``).

The key is read from the call's ``caller``, which only the key sets (a request's tags cannot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex_store.budgets.admitter import Admitter
    from modelplex_store.budgets.model import Budget

    from modelplex_gateway.keys.record import KeyRecord


def key_budget(record: KeyRecord) -> Budget | None:
    """The budget of ``record``'s key, named ``key-<id>``; ``None`` when it has none."""
    if record.budget is None:
        return None
    from modelplex_store.budgets.model import Budget

    return Budget(name=f"key-{record.id}", limit=record.budget, window=record.budget_window,  # type: ignore[arg-type]
                  scope=f"caller:{record.id}", alerts=(80, 100))


class KeyBudgets:
    """The plugin that admits each attempt of a key's call against the key's budget.

    ``known`` gives the record of a key id the gateway authenticated (its cache); ``admitter`` makes
    the admitter on first use (its ledger is opened then).
    """

    def __init__(self, known: Callable[[str], KeyRecord | None], admitter: Callable[[], Admitter]) -> None:
        self._known = known
        self._make = admitter
        self._admitter: Admitter | None = None

    @hookimpl
    def modelplex_before_attempt(self, call: Any, attempt: Any) -> Any:
        """Reserve the candidate's worst case on the key's budget (an awaitable), or ``None``."""
        caller = call.caller
        record = self._known(caller) if isinstance(caller, str) else None
        budget = None if record is None else key_budget(record)
        if budget is None:
            return None
        if self._admitter is None:
            self._admitter = self._make()
        return self._admitter.admit(call, attempt, [(budget, "")])

    async def aclose(self) -> None:
        """Close the ledger's connections."""
        if self._admitter is not None:
            await self._admitter.ledger.aclose()
