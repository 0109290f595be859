"""Where each budget stands now (``modelplex budgets``): per counter, its limit, spent, reserved, calls,
unpriced calls, window and reset time, and the alert thresholds fired in the window."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from modelplex._catalog.cost import MONEY
from modelplex_store.budgets.ledger import Counter, Ledger
from modelplex_store.budgets.model import Budget
from modelplex_store.budgets.windows import bounds

_NANO = Decimal(1_000_000_000)
_ZERO = Decimal(0)


@attrs.frozen(kw_only=True)
class BudgetStatus:
    """One counter of one budget in its current window (``subject``: ``""``, or the value of a per-value
    budget). Money in dollars; times in ``time.time()`` seconds (``resets_at`` ``None``: never)."""

    budget: Budget
    subject: str
    spent: Decimal
    reserved: Decimal
    calls: int
    unpriced_calls: int
    window_start: float
    resets_at: float | None
    fired: tuple[int, ...]

    @property
    def left(self) -> Decimal:
        """What is left of the limit (never below 0)."""
        return MONEY.max(MONEY.subtract(MONEY.subtract(self.budget.limit, self.spent), self.reserved), _ZERO)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``: money as decimal strings."""
        return {**self.budget.describe(), "subject": self.subject, "spent": f"{self.spent:f}",
                "reserved": f"{self.reserved:f}", "left": f"{self.left:f}", "calls": self.calls,
                "unpriced_calls": self.unpriced_calls, "window_start": self.window_start,
                "resets_at": self.resets_at, "alerts_fired": list(self.fired)}


async def _subjects(ledger: Ledger, budget: Budget, start: int) -> list[str]:
    if not budget.scope.value.endswith("*") and budget.window != "run":
        return [""]
    found = ledger.subjects(budget.name, start)  # type: ignore[attr-defined]
    if not isinstance(found, list):
        found = await found
    return list(found)


async def statuses(budgets: Sequence[Budget], ledger: Ledger,
                   clock: Callable[[], float] = time.time) -> list[BudgetStatus]:
    """Every counter of ``budgets`` in its current window (a per-call budget: none, it counts nothing)."""
    now = clock()
    out = []
    for budget in budgets:
        if budget.window == "call":
            continue
        start, end = bounds(budget.window, now)
        counters = [Counter(budget=budget.name, subject=s, window_start=start, window_end=end, limit=0,
                            alerts=budget.alerts) for s in await _subjects(ledger, budget, start)]
        for state in await ledger.states(counters, int(now * 1_000_000)):
            out.append(BudgetStatus(budget=budget, subject=state.subject,
                                    spent=MONEY.divide(state.spent, _NANO),
                                    reserved=MONEY.divide(state.reserved, _NANO), calls=state.calls,
                                    unpriced_calls=state.unpriced_calls, window_start=start / 1e6,
                                    resets_at=None if end is None else end / 1e6, fired=state.fired))
    return out
