"""Fast constructors of :class:`~modelplex.CallInfo` and :class:`~modelplex.CallOutcome`, for the call
path, which builds one of each on every call a lifecycle plugin hears.

attrs' ``__init__`` of a frozen class takes keyword arguments and sets each field through
``object.__setattr__``: about 0.8 µs each, a third of what a no-op lifecycle plugin cost a call. These
take every field, positionally, in the classes' order, and set the slots through their descriptors.
``core/tests/test_lifecycle_fast.py`` checks that they build objects equal, field for field, to the
classes' own, and that they name every field in order; a field added to a class and not here fails
this module's import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._call.lifecycle import CallInfo, CallKind, CallOutcome, CallStatus

if TYPE_CHECKING:
    from modelplex._catalog.cost import Cost
    from modelplex._responses import Usage
    from modelplex._trace import RoutingTrace
    from modelplex.errors import ModelplexError

_new = object.__new__
(_ci_kind, _ci_address, _ci_provider, _ci_model, _ci_request, _ci_tags, _ci_caller,
 _ci_started) = (CallInfo.__dict__[f.name].__set__ for f in attrs.fields(CallInfo))
(_co_status, _co_error, _co_provider, _co_model, _co_usage, _co_partial, _co_duration, _co_ttft, _co_trace,
 _co_response, _co_cost) = (CallOutcome.__dict__[f.name].__set__ for f in attrs.fields(CallOutcome))


def new_call(kind: CallKind, address: str, provider: str, model: str | None, request: Any,
             tags: Mapping[str, str], caller: str | None, started: float) -> CallInfo:
    """``CallInfo(kind=kind, ...)``, every field given, without attrs' ``__init__``."""
    call: CallInfo = _new(CallInfo)
    _ci_kind(call, kind)
    _ci_address(call, address)
    _ci_provider(call, provider)
    _ci_model(call, model)
    _ci_request(call, request)
    _ci_tags(call, tags)
    _ci_caller(call, caller)
    _ci_started(call, started)
    return call


def new_outcome(status: CallStatus, error: ModelplexError | None, provider: str | None, model: str | None,
                usage: Usage | None, partial: bool, duration: float, time_to_first_token: float | None,
                trace: RoutingTrace | None, response: Any, cost: Cost | None) -> CallOutcome:
    """``CallOutcome(status=status, ...)``, every field given, without attrs' ``__init__``."""
    outcome: CallOutcome = _new(CallOutcome)
    _co_status(outcome, status)
    _co_error(outcome, error)
    _co_provider(outcome, provider)
    _co_model(outcome, model)
    _co_usage(outcome, usage)
    _co_partial(outcome, partial)
    _co_duration(outcome, duration)
    _co_ttft(outcome, time_to_first_token)
    _co_trace(outcome, trace)
    _co_response(outcome, response)
    _co_cost(outcome, cost)
    return outcome
