"""Fast constructors of :class:`~modelplex.CallInfo` and :class:`~modelplex.CallOutcome`, for the call
path, which builds one of each on every call a lifecycle plugin hears.

attrs' ``__init__`` of a frozen class takes keyword arguments and sets each field through
``object.__setattr__``: about 0.8 µs each, a third of what a no-op lifecycle plugin cost a call. These
take every field, positionally, in the classes' order, and fill the new object's ``__dict__`` as a
mapping (the frozen ``__setattr__`` is not asked). Read on a fresh object, ``__dict__`` is made on the
keys the class's instances share, so filling it allocates no table of keys: 4.7k instructions an
object against 6.0k for a whole ``__dict__`` handed over through the type's descriptor, and 7.5k for
eight slots set one descriptor call at a time (callgrind). That is why the two classes keep a
``__dict__`` rather than slots.
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


def new_call(kind: CallKind, address: str, provider: str, model: str | None, request: Any,
             tags: Mapping[str, str], caller: str | None, started: float) -> CallInfo:
    """``CallInfo(kind=kind, ...)``, every field given, without attrs' ``__init__``."""
    call: CallInfo = _new(CallInfo)
    fields = call.__dict__  # made now, on the keys every instance of the class shares
    fields["kind"] = kind
    fields["address"] = address
    fields["provider"] = provider
    fields["model"] = model
    fields["request"] = request
    fields["tags"] = tags
    fields["caller"] = caller
    fields["started"] = started
    return call


def new_outcome(status: CallStatus, error: ModelplexError | None, provider: str | None, model: str | None,
                usage: Usage | None, partial: bool, duration: float, time_to_first_token: float | None,
                trace: RoutingTrace | None, response: Any, cost: Cost | None) -> CallOutcome:
    """``CallOutcome(status=status, ...)``, every field given, without attrs' ``__init__``."""
    outcome: CallOutcome = _new(CallOutcome)
    fields = outcome.__dict__
    fields["status"] = status
    fields["error"] = error
    fields["provider"] = provider
    fields["model"] = model
    fields["usage"] = usage
    fields["partial"] = partial
    fields["duration"] = duration
    fields["time_to_first_token"] = time_to_first_token
    fields["trace"] = trace
    fields["response"] = response
    fields["cost"] = cost
    return outcome
