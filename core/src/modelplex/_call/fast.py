"""Fast constructors of :class:`~modelplex.CallInfo` and :class:`~modelplex.CallOutcome`, for the call
path, which builds one of each on every call a lifecycle plugin hears.

attrs' ``__init__`` of a frozen class takes keyword arguments and sets each field through
``object.__setattr__``: about 0.8 µs each, a third of what a no-op lifecycle plugin cost a call. These
take every field, positionally, in the classes' order, and hand the new object its whole ``__dict__``
at once, through the type's ``__dict__`` descriptor (the frozen ``__setattr__`` is not asked). That is
why the two classes keep a ``__dict__`` rather than slots: setting eleven slots one descriptor call at
a time cost 8.2k instructions an object, one ``__dict__`` 5.4k (callgrind).
``core/tests/test_lifecycle_fast.py`` checks that they build objects equal, field for field, to the
classes' own, and that they name every field in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex._call.lifecycle import CallInfo, CallKind, CallOutcome, CallStatus

if TYPE_CHECKING:
    from modelplex._catalog.cost import Cost
    from modelplex._responses import Usage
    from modelplex._trace import RoutingTrace
    from modelplex.errors import ModelplexError

_new = object.__new__
_call_dict = CallInfo.__dict__["__dict__"].__set__
_outcome_dict = CallOutcome.__dict__["__dict__"].__set__


def new_call(kind: CallKind, address: str, provider: str, model: str | None, request: Any,
             tags: Mapping[str, str], caller: str | None, started: float) -> CallInfo:
    """``CallInfo(kind=kind, ...)``, every field given, without attrs' ``__init__``."""
    call: CallInfo = _new(CallInfo)
    _call_dict(call, {"kind": kind, "address": address, "provider": provider, "model": model,
                      "request": request, "tags": tags, "caller": caller, "started": started})
    return call


def new_outcome(status: CallStatus, error: ModelplexError | None, provider: str | None, model: str | None,
                usage: Usage | None, partial: bool, duration: float, time_to_first_token: float | None,
                trace: RoutingTrace | None, response: Any, cost: Cost | None) -> CallOutcome:
    """``CallOutcome(status=status, ...)``, every field given, without attrs' ``__init__``."""
    outcome: CallOutcome = _new(CallOutcome)
    _outcome_dict(outcome, {"status": status, "error": error, "provider": provider, "model": model,
                            "usage": usage, "partial": partial, "duration": duration,
                            "time_to_first_token": time_to_first_token, "trace": trace, "response": response,
                            "cost": cost})
    return outcome
