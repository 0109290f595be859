"""The call lifecycle: the calling of the ``modelplex_before_call``, ``modelplex_before_attempt`` and
``modelplex_after_call`` hooks (see :mod:`modelplex.hookspecs` for the contract;
:mod:`modelplex._call.records` for what they receive; :mod:`modelplex._call.admission` for the
per-attempt half).

A client whose plugins implement none of them pays nothing for them: :attr:`Lifecycle.active` is false
and the call path skips all of this.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from modelplex._call.admitters import Admitters, failed
from modelplex._call.hooks import Hook, lifecycle_hooks
from modelplex._call.records import CallInfo, CallKind, CallOutcome, CallStatus, build
from modelplex._call.shield import shielded
from modelplex.errors import ModelplexError

__all__ = ["CallInfo", "CallKind", "CallOutcome", "CallReservation", "CallStatus", "Lifecycle", "build"]


class CallReservation(Protocol):
    """What an admitter may return from ``modelplex_before_call``: it is settled once the call has
    succeeded (or was cut or cancelled with usage to count), released when it failed. Either method
    may return an awaitable."""

    def settle(self, outcome: CallOutcome) -> Awaitable[None] | None:
        """The call used ``outcome.usage``: make the reservation final."""

    def release(self, outcome: CallOutcome) -> Awaitable[None] | None:
        """The call failed (``outcome.error``): give the reservation back."""


class Lifecycle(Admitters):
    """The lifecycle hooks of one registry's plugins, called without pluggy's dispatch (each on its
    own, so that one observer's failure does not keep the others from hearing)."""

    __slots__ = ("active", "after", "attempt", "before")

    def __init__(self, pm: Any) -> None:
        self.before = lifecycle_hooks(pm, "modelplex_before_call")
        self.attempt = lifecycle_hooks(pm, "modelplex_before_attempt")
        self.after = lifecycle_hooks(pm, "modelplex_after_call")
        self.active = bool(self.before or self.attempt or self.after)

    async def give_back(self, call: CallInfo, held: Sequence[tuple[str, Any]],
                        refusal: ModelplexError | None) -> None:
        """Release what ``held`` reserved: the call was refused (``refusal``), or cancelled (``None``)."""
        status: CallStatus = "cancelled" if refusal is None else "error"
        await self.close(call, CallOutcome(status=status, error=refusal), held)

    def report(self, call: CallInfo, outcome: CallOutcome,
               held: Sequence[tuple[str, Any]]) -> Awaitable[None] | None:
        """:meth:`close` with ``report``, without a coroutine where nothing is held and every observer
        answers at once (the common case: a log line, a counter): ``None`` then, else what to await.
        The observers after the first that answers with an awaitable are called once it is awaited,
        so that each runs after the one before it, as in :meth:`close`."""
        if held:
            return self.close(call, outcome, held, report=True)
        after = self.after
        for hook in after:  # no enumerate(): every call pays for it, the index is rarely wanted
            try:
                done = hook[1](call, outcome)
            except Exception as exc:
                failed(hook[0], "modelplex_after_call", exc)
                continue
            if done is not None and inspect.isawaitable(done):
                return self._observed(call, outcome, hook[0], done, after.index(hook) + 1)
        return None

    async def _observed(self, call: CallInfo, outcome: CallOutcome, plugin: str, done: Awaitable[Any],
                        rest: int) -> None:
        """Await ``done`` (``plugin``'s answer), then tell the observers from index ``rest`` on."""
        try:
            await shielded(done)
        except Exception as exc:
            failed(plugin, "modelplex_after_call", exc)
        if rest < len(self.after):
            await self._tell(call, outcome, self.after[rest:])

    async def close(self, call: CallInfo, outcome: CallOutcome, held: Sequence[tuple[str, Any]],
                    report: bool = False) -> None:
        """Settle (success, or usage to count) or release (failure) the reservations, last taken first,
        then, with ``report``, tell every observer. What they return to await is shielded from the
        call's cancellation: a cancelled call is still reported. Synchronous hooks cost no shield."""
        settle = outcome.status == "ok" or (outcome.partial and outcome.usage is not None)
        for plugin, reservation in reversed(held):
            method = getattr(reservation, "settle" if settle else "release", None)
            if method is None:
                continue
            try:
                done = method(outcome)
                if done is not None and inspect.isawaitable(done):
                    await shielded(done)
            except Exception as exc:
                failed(plugin, "settle" if settle else "release", exc)
        if report:
            await self._tell(call, outcome, self.after)

    async def _tell(self, call: CallInfo, outcome: CallOutcome, observers: Sequence[Hook]) -> None:
        """Call each of ``observers`` in turn, awaiting (shielded) what it returns before the next."""
        for plugin, function in observers:
            try:
                done = function(call, outcome)
                if done is not None and inspect.isawaitable(done):
                    await shielded(done)
            except Exception as exc:
                failed(plugin, "modelplex_after_call", exc)
