"""Asking the call lifecycle's admitters (``modelplex_before_call``, ``modelplex_before_attempt``; the
contract is in :mod:`modelplex.hookspecs`): the half of :class:`~modelplex._call.lifecycle.Lifecycle`
that runs before a call or an attempt."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from modelplex._logging import log
from modelplex._secret import scrub
from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._call.hooks import Hook
    from modelplex._call.lifecycle import CallInfo


#: What :meth:`Admitters.admit_now` answers when every admitter answered at once and none reserved.
NOTHING_HELD: tuple[tuple[str, Any], ...] = ()


def failed(plugin: str, hook: str, exc: BaseException) -> None:
    """Log that ``plugin``'s ``hook`` raised ``exc`` (scrubbed): a failing hook never fails a call."""
    log("warning", "lifecycle_hook_failed", plugin=plugin, hook=hook,
        error=scrub(f"{type(exc).__name__}: {exc}"))


class Admitters:
    """The admitters' side of :class:`~modelplex._call.lifecycle.Lifecycle`, which holds the hooks."""

    __slots__ = ()
    before: tuple[Hook, ...]
    attempt: tuple[Hook, ...]

    if TYPE_CHECKING:
        async def give_back(self, call: CallInfo, held: Sequence[tuple[str, Any]],
                            refusal: ModelplexError | None) -> None:
            """Lifecycle's: release what ``held`` reserved (the call refused, or cancelled)."""

    def admit_now(self, call: CallInfo, start: int = 0, answer: Any = None, error: BaseException | None = None
                  ) -> Sequence[tuple[str, Any]] | Awaitable[list[tuple[str, Any]]]:
        """:meth:`admit` for ``modelplex_before_call``, without a coroutine while every admitter answers
        at once with no refusal (the common case: a no-op, a counter, a synchronous check): the
        reservations then (a list, or :data:`NOTHING_HELD`), else what to await for them. The admitter
        that answered with an awaitable or raised is taken over, with those after it, by :meth:`admit`,
        so either way gives the same reservations, refusals and releases (``test_lifecycle.py`` runs both).
        From admitter ``start`` on, those before it having answered ``None``; with ``answer`` or
        ``error``, admitter ``start`` was asked already (the direct branch asks them itself while they
        answer ``None``) and answered or raised that."""
        held: list[tuple[str, Any]] | None = None  # made at the first reservation: most calls take none
        before = self.before
        asked = answer is not None or error is not None
        for index in range(start, len(before)):  # no enumerate() of a slice: the common case is 0 and 1
            hook = before[index]
            try:
                if asked and index == start:
                    if error is not None:
                        raise error
                    reservation = answer
                else:
                    reservation = hook[1](call)
            except ModelplexError as exc:
                return self.admit(call, None, held or [], index, exc)
            except Exception as exc:
                failed(hook[0], "modelplex_before_call", exc)
                continue
            except BaseException as exc:  # as admit's loop: what was reserved is given back first
                return self.admit(call, None, held or [], index, exc)
            if reservation is not None:
                if inspect.isawaitable(reservation):
                    return self.admit(call, None, held or [], index, reservation)
                if held is None:
                    held = []
                held.append((hook[0], reservation))
        return NOTHING_HELD if held is None else held

    async def admit(self, call: CallInfo, attempt: Any = None, held: list[tuple[str, Any]] | None = None,
                    start: int = 0, first: Any = None) -> list[tuple[str, Any]]:
        """Every admitter's reservation, in order: ``modelplex_before_call``'s, or with ``attempt`` (an
        :class:`~modelplex.AttemptInfo`) ``modelplex_before_attempt``'s. A refusal (a
        :class:`ModelplexError`) releases what the earlier admitters reserved and is raised; any other
        failure is logged and the call goes on. Cancelled while admitting: what was reserved is
        released before the cancellation goes on. (:meth:`admit_now` hands over here from admitter
        ``start`` on, ``held`` taken so far, ``first`` what admitter ``start`` answered or raised.)"""
        held = [] if held is None else held
        hook = "modelplex_before_call" if attempt is None else "modelplex_before_attempt"
        hooks = self.before if attempt is None else self.attempt
        who = (call.provider, call.model) if attempt is None else (attempt.provider, attempt.model)
        try:
            for index in range(start, len(hooks)):
                plugin, function = hooks[index]
                try:
                    if first is not None and index == start:
                        if isinstance(first, BaseException):
                            raise first
                        reservation = await first
                    else:
                        reservation = function(call) if attempt is None else function(call, attempt)
                        if reservation is not None and inspect.isawaitable(reservation):
                            reservation = await reservation
                except ModelplexError as exc:
                    from modelplex._call.attempt import translated

                    refusal = translated(exc, who[0], who[1], plugin)
                    break
                except Exception as exc:
                    failed(plugin, hook, exc)
                    continue
                if reservation is not None:
                    held.append((plugin, reservation))
            else:
                return held
        except BaseException:  # cancelled between two admitters: give back what the first ones took
            await self.give_back(call, held, None)
            raise
        await self.give_back(call, held, refusal)
        raise refusal  # outside the except clause, as translate() asks
