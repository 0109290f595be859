"""Budget alerts: a threshold crossed fires once per budget, counter and window across every process (the
ledger decides which process fires: an ``INSERT ... ON CONFLICT DO NOTHING`` row or a Redis ``SET NX``),
through three channels: the ``modelplex_budget_alert`` hook of every plugin of the client (a dashboard, a
notifier), a ``budget_alert`` structured log event, and, under the ``modelplex`` command, a line on stderr.

:class:`BudgetAlert` lives here, in the store, beside the ledger that fires it: the plugins that hear it
(the dashboard) read the store anyway. Hook implementations may take it as any object with these fields.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import attrs

from modelplex._logging import log

#: Set by ``modelplex``'s command line (when the store's commands are registered): alerts print a line.
CLI = False


@attrs.frozen(kw_only=True)
class BudgetAlert:
    """``budget`` (its name) and ``scope`` reached ``threshold`` percent of ``limit`` dollars in the window
    starting at ``window_start`` (``time.time()`` seconds; 0 for a window that never resets) and ending at
    ``resets_at`` (``None``: never). ``subject`` is the counter's value for a per-value budget (the agent,
    the caller...), ``""`` otherwise. ``hard`` is false for a soft budget, which alerts and never blocks."""

    budget: str
    scope: str
    subject: str
    threshold: int
    limit: Decimal
    spent: Decimal
    window_start: float
    resets_at: float | None
    hard: bool
    at: float

    def text(self) -> str:
        """The alert in one line."""
        who = f" [{self.subject}]" if self.subject else ""
        return (f"budget {self.budget!r} ({self.scope}{who}) reached {self.threshold}% of ${self.limit:f}: "
                f"${self.spent:f} spent" + ("" if self.hard else " (soft: not enforced)"))


def fire(alert: BudgetAlert, registry: Any) -> None:
    """Tell every channel; a plugin's failure is logged, never raised into the call."""
    log("warning", "budget_alert", budget=alert.budget, scope=alert.scope, subject=alert.subject,
        threshold=alert.threshold, limit=str(alert.limit), spent=str(alert.spent), resets_at=alert.resets_at)
    if CLI:
        print(f"modelplex: {alert.text()}", file=sys.stderr)
    if registry is None:
        return
    try:
        registry.broadcast("modelplex_budget_alert", alert=alert)
    except Exception as exc:
        log("warning", "budget_alert_hook_failed", error=f"{type(exc).__name__}: {exc}")
