"""One call as the lifecycle hears it: admitted by ``modelplex_before_call`` before it, and its end told to
the reservations and to ``modelplex_after_call`` whatever that end is (an answer, an error, a refusal, a
cancellation). The general branch of the call path (:meth:`Calls._observed
<modelplex._call.pipeline.Calls>`, around routing, a listing or an attempt's admission) makes a
:class:`Watch` per call. The direct one, inside :meth:`Direct.call <modelplex._call.direct.Direct.call>`'s
own coroutine, makes none: it builds an answer's outcome itself (as :meth:`Watch.answered` does) and
calls :func:`admitting` and :func:`ended`, which :class:`Watch` calls too, for a refusal, an error or a
cancellation; an object and a coroutine fewer per call (``docs/hot-paths.md``).
``core/tests/test_lifecycle_direct.py`` shows both branches tell the same outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from modelplex._call.admitters import NOTHING_HELD
from modelplex._call.costs import cancelled_cost
from modelplex._call.lifecycle import CallInfo, CallOutcome, build
from modelplex._estimate import prompt_tokens, text_tokens
from modelplex._responses import Usage
from modelplex._routing.address import split_model
from modelplex._sent import attempt_since, last_attempt
from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallKind, Lifecycle
    from modelplex._client import AsyncClient
    from modelplex._trace import RoutingTrace

_monotonic = time.monotonic
_time = time.time
#: The tags of every call made without any: read-only, as one mapping is shared by all of them (a
#: plugin that wrote into it would have tagged every later call).
NO_TAGS: Mapping[str, str] = MappingProxyType({})


def call_info(kind: CallKind, address: str, request: Any, tags: Mapping[str, str] | None,
              caller: str | None, split: tuple[str, str] | None = None) -> CallInfo:
    """What the lifecycle hooks see of a call (its tokens estimated when first read); ``split``, the
    address's provider and model where the caller has them already."""
    if split is None:
        provider, _, model = address.partition("/")
        split = (provider, model)
    return build(CallInfo, (kind, address, split[0], split[1] or None, request,
                            dict(tags) if tags else NO_TAGS, caller, _time()))


def sent(kind: CallKind, request: Any) -> Usage | None:
    """The usage of a call cancelled before its answer: its input, estimated (what a provider may bill
    for a request it received; nothing for a model listing)."""
    if kind in ("chat", "stream"):
        return Usage(input=prompt_tokens(request.messages, request.options), estimated=True)
    if kind == "embed":
        return Usage(input=text_tokens(request.inputs), estimated=True)
    return None


async def admitting(lifecycle: Lifecycle, call: CallInfo,
                    now: Awaitable[list[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """The reservations ``now`` (what :meth:`~modelplex._call.admitters.Admitters.admit_now` returned to
    await) gives; a refusal is told to the observers, then raised."""
    try:
        return await now
    except ModelplexError as refusal:
        refused = build(CallOutcome, ("error", refusal, None, None, None, False, 0.0, None, None, None, None))
        await lifecycle.close(call, refused, (), report=True)
        raise


async def ended(lifecycle: Lifecycle, client: AsyncClient, call: CallInfo, held: Sequence[tuple[str, Any]],
                started: float, attempted: bool, exc: BaseException) -> None:
    """``call`` (begun at ``started``, ``time.monotonic()``) raised ``exc``: an error (typed when it is a
    :class:`ModelplexError`), or, for anything not an ``Exception``, a cancellation; ``held`` settled or
    released, the observers told. ``attempted``: an attempt had started calling its plugin."""
    duration = _monotonic() - started
    if isinstance(exc, Exception):
        error = exc if isinstance(exc, ModelplexError) else None
        outcome = build(CallOutcome, ("error", error, None, None, None, False, duration, None,
                                      getattr(error, "trace", None), None, None))
    else:
        # Once an attempt is under way its prompt may have reached the provider, and be billed;
        # before that (waiting for admission, a budget's reservation) nothing was used.
        usage = sent(call.kind, call.request) if attempted else None
        outcome = build(CallOutcome, ("cancelled", None, None, None, usage, usage is not None, duration,
                                      None, None, None, cancelled_cost(client, call.address, usage)))
    await lifecycle.close(call, outcome, held, report=True)


class Watch:
    """The lifecycle's view of one call under way: made as the call starts, then :meth:`admit`, and
    :meth:`ended` or :meth:`succeeded` once."""

    __slots__ = ("before", "call", "client", "held", "lifecycle", "started")

    def __init__(self, lifecycle: Lifecycle, client: AsyncClient, call: CallInfo) -> None:
        self.lifecycle, self.client, self.call = lifecycle, client, call
        self.held: Sequence[tuple[str, Any]] = ()
        self.started = _monotonic()
        # An earlier call's attempt in this context says nothing of this one's.
        self.before = last_attempt()

    def admit(self) -> Awaitable[None] | None:
        """Ask the admitters: ``None`` once each has answered at once (no coroutine: the common case),
        else what to await for the rest. A refusal is told to the observers, then raised."""
        lifecycle = self.lifecycle
        if not lifecycle.before:
            return None
        now = lifecycle.admit_now(self.call)
        if now.__class__ is list or now is NOTHING_HELD:
            self.held = cast("Sequence[tuple[str, Any]]", now)
            return None
        return self._admitting(cast("Awaitable[list[tuple[str, Any]]]", now))

    async def _admitting(self, now: Awaitable[list[tuple[str, Any]]]) -> None:
        self.held = await admitting(self.lifecycle, self.call, now)

    async def ended(self, exc: BaseException) -> None:
        """The call raised ``exc``: an error (typed when it is a :class:`ModelplexError`), or, for
        anything not an ``Exception``, a cancellation."""
        await ended(self.lifecycle, self.client, self.call, self.held, self.started,
                    attempt_since(self.before), exc)

    def succeeded(self, result: Any) -> Awaitable[None] | None:
        """The call answered ``result``: settled and told; ``None`` when nothing is left to await."""
        call = self.call
        trace = getattr(result, "trace", None)
        if call.kind == "list_models":
            return self.answered(call.address, None, result, trace)
        by = getattr(trace, "answered_by", None)  # a chain's choice
        if by == call.address:  # the model asked for: already split
            return self.answered(call.provider, call.model, result, trace)
        if by:
            return self.answered(*split_model(by), result, trace)
        return self.answered(getattr(result, "provider", None), getattr(result, "model", None), result, trace)

    def answered(self, provider: str | None, model: str | None, result: Any,
                 trace: RoutingTrace | None) -> Awaitable[None] | None:
        """:meth:`succeeded`, the model that answered known (the direct branch knows it)."""
        outcome = build(CallOutcome, ("ok", None, provider, model, getattr(result, "usage", None), False,
                                      _monotonic() - self.started, None, trace, result,
                                      getattr(result, "cost", None)))
        return self.lifecycle.report(self.call, outcome, self.held)
