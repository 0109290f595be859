"""What a budget ledger does, whichever database holds it: reserve a candidate's worst case against every
counter in scope at once (all or none), settle a reservation to what was used, release it, and say where
each counter stands.

Money is integer nano-dollars, as in the ``calls`` table; times are microseconds since the epoch. A
reservation carries an expiry (its lease): one left by a process that was killed stops counting then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs


class LedgerUnavailable(Exception):
    """The ledger's database or Redis cannot be reached; the message is scrubbed of credentials."""


@attrs.frozen(kw_only=True, order=True)
class Counter:
    """One budget's counter in one window: ``subject`` is ``""`` for the budget's one counter, the tag,
    caller or run value for a per-value one. ``limit`` and ``hard`` decide a reservation; ``alerts``
    (percentages) are fired as the spend crosses them."""

    budget: str
    subject: str
    window_start: int
    window_end: int | None = attrs.field(order=False)
    limit: int = attrs.field(order=False)
    hard: bool = attrs.field(default=True, order=False)
    alerts: tuple[int, ...] = attrs.field(default=(), order=False)


@attrs.frozen(kw_only=True)
class Shortfall:
    """The counter a reservation did not fit: what it had spent and reserved then."""

    counter: Counter
    spent: int
    reserved: int


@attrs.frozen(kw_only=True)
class Crossed:
    """A threshold this process was the first to see crossed (so it alone fires the alert)."""

    counter: Counter
    threshold: int
    spent: int


@attrs.frozen(kw_only=True)
class CounterState:
    """Where a counter stands: spent, reserved (unexpired reservations), calls, unpriced calls, and the
    thresholds already fired in its window."""

    budget: str
    subject: str
    window_start: int
    window_end: int | None
    spent: int
    reserved: int
    calls: int
    unpriced_calls: int
    fired: tuple[int, ...] = ()


class Ledger(Protocol):
    """The operations every ledger offers; each is atomic where the state lives."""

    async def reserve(self, token: str, counters: Sequence[Counter], amount: int, expires_at: int,
                      now: int) -> Shortfall | None:
        """Reserve ``amount`` on every counter, or none: ``None`` when reserved, else the first hard
        counter it did not fit. Expired reservations stop counting first."""

    async def settle(self, token: str, counters: Sequence[Counter], actual: int | None,
                     now: int) -> list[Crossed]:
        """Replace the reservation by ``actual`` (``None``: an unknown price, counted as an unpriced
        call); returns the thresholds crossed that no process fired before."""

    async def release(self, token: str, counters: Sequence[Counter]) -> None:
        """Drop the reservation: the attempt failed and cost nothing."""

    async def states(self, counters: Sequence[Counter], now: int) -> list[CounterState]:
        """Where each of ``counters`` stands at ``now``."""

    async def aclose(self) -> None:
        """Close the connections."""
