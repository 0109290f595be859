"""The audit record of an admission decision (``CallInfo.decisions``), for the usage log."""

from __future__ import annotations

from decimal import Decimal

import attrs


@attrs.frozen(kw_only=True)
class Decision:
    """One admission decision about one candidate of a call, for the audit trail (``call.decisions``).

    ``by`` is the kind of admitter (``policy``, ``budget``); ``name`` what decided (the rule's label, the
    budget's scope; ``None`` for a policy's default); ``model`` the candidate (``provider/model``);
    ``decision`` what it decided: ``admitted``, ``denied``, ``would-deny`` (a dry run: admitted, but
    recorded), or a budget's ``reserved``, ``settled``, ``released``. ``where`` is where the rule is
    written (``file:line``), ``reason`` why, for people; ``amount`` dollars a budget reserved or settled.
    """

    by: str
    decision: str
    model: str
    name: str | None = None
    where: str | None = None
    reason: str | None = None
    amount: Decimal | None = None
