"""The budgets' decisions in the call's audit trail (``call.decisions``, a :class:`~modelplex.Decision`
each, beside the policy's), which the recorder writes into the call's usage row (``calls.admission``,
JSON, and ``calls.denied_by``: see :func:`columns`): per candidate and budget, ``reserved`` (with the
worst case), ``denied`` (over the limit, an unknown price, the ledger down), ``settled`` (with the actual
cost; ``None`` for an unknown price), ``released``; ``admitted`` when the ledger was down and the budget
says ``on_unavailable = "allow"``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def note(call: Any, decision: str, budget: str, model: str, *, subject: str = "", reason: str | None = None,
         amount: Decimal | None = None) -> None:
    """Add a budget's decision to ``call.decisions`` (a call without that list is left alone)."""
    decisions = getattr(call, "decisions", None)
    if decisions is None:
        return
    from modelplex import Decision

    name = f"{budget}[{subject}]" if subject else budget
    decisions.append(Decision(by="budget", decision=decision, model=model, name=name, reason=reason,
                              amount=amount))


_FIELDS = ("by", "decision", "model", "name", "where", "reason", "amount")


def columns(call: Any, ok: bool) -> tuple[str | None, str | None]:
    """The ``admission`` (every decision, JSON) and ``denied_by`` (what refused a call that failed: the
    budgets and rules that denied, comma-separated) columns of ``call``'s row; ``None`` for none."""
    # Read where it is kept, not through CallInfo's cached property: that would make the list (under
    # functools' lock, on Python 3.11) for every call nobody decided about, 0.4-0.6 µs of each row.
    fields = getattr(call, "__dict__", None)
    decisions = fields.get("decisions") if fields is not None else getattr(call, "decisions", None)
    if not decisions:
        return None, None
    data = [{k: f"{v:f}" if isinstance(v, Decimal) else v
             for k in _FIELDS if (v := getattr(d, k, None)) is not None} for d in decisions]
    denied = [str(d.name or d.by) for d in decisions if d.decision == "denied"]
    denied_by = None if ok or not denied else ",".join(dict.fromkeys(denied))
    return json.dumps(data, separators=(",", ":")), denied_by
