"""The budget admitter: before each candidate of a call is tried (``modelplex_before_attempt``), its
worst-case cost is reserved against every budget in scope at once, or the candidate is refused with
:class:`~modelplex.errors.BudgetExceeded` (a chain then moves on to the next candidate; the routing trace
says why). The reservation is settled to the attempt's actual cost when it ends (what a cancelled or cut
attempt used included) or released when it failed; one a killed process left expires with its lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel

from modelplex._catalog.cost import MONEY
from modelplex._logging import log
from modelplex._secret import scrub_url
from modelplex.errors import BudgetExceeded
from modelplex_store.budgets import audit
from modelplex_store.budgets.alerts import BudgetAlert, fire
from modelplex_store.budgets.errors import BudgetUnavailable
from modelplex_store.budgets.ledger import Counter, Ledger, LedgerUnavailable, Shortfall
from modelplex_store.budgets.model import Budget
from modelplex_store.budgets.windows import bounds

#: How long a reservation holds when its process does not settle it (killed): then it stops counting. A
#: call's own deadline (``[routing] deadline``) plus :data:`LEASE_MARGIN` when longer, so that a call
#: still running never outlives its reservation.
DEFAULT_LEASE = 600.0
LEASE_MARGIN = 60.0
_NANO = Decimal(1_000_000_000)
_ZERO = Decimal(0)


# Computed in the cost engine's context (MONEY), not the caller's: an application's ``prec=2`` would
# round $0.003645 to 3.6E+6 nano-dollars, and its trapped ``Inexact`` would fail the call.
def nanos_up(dollars: Decimal) -> int:
    """Dollars as nano-dollars, rounded up (a reservation never under-counts)."""
    return math.ceil(MONEY.multiply(dollars, _NANO))


def nanos_down(dollars: Decimal) -> int:
    """Dollars as nano-dollars, rounded down (a limit never grows)."""
    return math.floor(MONEY.multiply(dollars, _NANO))


def _dollars(nanos: int) -> Decimal:
    return MONEY.divide(nanos, _NANO).normalize(MONEY)


def _usd(amount: Decimal) -> str:
    return f"${amount:f}"


def _when(micros: int | None) -> str:
    if micros is None:
        return "never (no window)"
    return dt.datetime.fromtimestamp(micros / 1e6, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Admitter:
    """Reserves, settles and releases candidates' worst cases for ``budgets`` in ``ledger``, with ``clock``
    (``time.time``; a test injects its own) computing windows and leases."""

    def __init__(self, budgets: Iterable[Budget], ledger: Ledger, *, lease: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.budgets = tuple(budgets)
        self.ledger = ledger
        self.lease = lease
        self.clock = clock

    def scoped(self, call: Any, provider: str, model: str) -> list[tuple[Budget, str]]:
        """The budgets that apply to ``provider/model`` for ``call``, each with its counter's subject."""
        found = []
        for budget in self.budgets:
            subject = budget.subject(provider, model, call.tags, call.caller)
            if subject is not None:
                found.append((budget, subject))
        return found

    async def admit(self, call: Any, attempt: Any,
                    scoped: Sequence[tuple[Budget, str]]) -> Reservation | None:
        """Reserve ``attempt``'s worst case on every budget of ``scoped``, or refuse it."""
        total = attempt.estimate.cost.total
        now = self.clock()
        address = attempt.address
        counters: list[tuple[Budget, Counter]] = []
        for budget, subject in scoped:
            if total is None and budget.hard and budget.unknown_price == "deny":
                self._deny(call, budget, subject, address, "unknown price")
                raise BudgetExceeded(
                    f"budget {budget.name!r} ({budget.scope}) refuses {address}: its price (or its output "
                    f"bound) is unknown, so its worst case cannot be reserved (unknown_price = \"allow\" "
                    f"lets it through, counted apart)", scope=str(budget.scope), limit=budget.limit,
                    provider=attempt.provider, model=attempt.model)
            if budget.window == "call":
                if budget.hard and total is not None and total > budget.limit:
                    self._deny(call, budget, subject, address, "per-call limit")
                    raise BudgetExceeded(
                        f"budget {budget.name!r} ({budget.scope}) allows {_usd(budget.limit)} per call; "
                        f"the worst case of {address} is {_usd(total)}", scope=str(budget.scope),
                        limit=budget.limit, spent=_ZERO, reserved=_ZERO, provider=attempt.provider,
                        model=attempt.model)
                continue
            start, end = bounds(budget.window, now)
            counters.append((budget, Counter(budget=budget.name, subject=subject, window_start=start,
                                             window_end=end, limit=nanos_down(budget.limit), hard=budget.hard,
                                             alerts=budget.alerts)))
        amount = 0 if total is None else nanos_up(total)
        if not counters:
            return None
        token = uuid.uuid4().hex
        now_us = int(now * 1_000_000)
        try:
            short = await self._reserve(token, [c for _, c in counters], amount,
                                        now_us + int(self._lease(attempt) * 1_000_000), now_us)
        except Exception as exc:  # whatever went wrong, the budget could not be checked: never fail open
            if not isinstance(exc, LedgerUnavailable):
                exc = LedgerUnavailable(scrub_url(f"{type(exc).__name__}: {exc}"))
            closed = [b for b, _ in counters if b.hard and b.on_unavailable == "deny"]
            if closed:
                budget = closed[0]
                self._deny(call, budget, "", address, "ledger unavailable")
                raise BudgetUnavailable(
                    f"budget {budget.name!r} ({budget.scope}) cannot be checked, so {address} is refused "
                    f"(on_unavailable = \"deny\"): {exc}", scope=str(budget.scope), limit=budget.limit,
                    provider=attempt.provider, model=attempt.model) from None
            for budget, counter in counters:
                audit.note(call, "admitted", budget.name, address, subject=counter.subject,
                           reason="the ledger cannot be reached; on_unavailable = allow")
            log("warning", "budget_ledger_unavailable", error=str(exc), admitted=address)
            return None
        if short is not None:
            budget = next(b for b, c in counters if c is short.counter)
            self._deny(call, budget, short.counter.subject, address, "over limit")
            subject = f" [{short.counter.subject}]" if short.counter.subject else ""
            raise BudgetExceeded(
                f"budget {budget.name!r} ({budget.scope}{subject}) has no room for {address}'s worst case "
                f"{_usd(_dollars(amount))}: limit {_usd(budget.limit)}, spent {_usd(_dollars(short.spent))}, "
                f"reserved {_usd(_dollars(short.reserved))}; resets {_when(short.counter.window_end)}",
                scope=str(budget.scope), limit=budget.limit, spent=_dollars(short.spent),
                reserved=_dollars(short.reserved),
                resets_at=None if short.counter.window_end is None else short.counter.window_end / 1e6,
                provider=attempt.provider, model=attempt.model)
        for budget, counter in counters:
            audit.note(call, "reserved", budget.name, address, subject=counter.subject,
                       amount=_dollars(amount),
                       reason="unknown price: counted apart" if total is None else None)
        return Reservation(self, call, token, counters, address, getattr(attempt, "_client", None))

    async def _reserve(self, token: str, counters: list[Counter], amount: int, expires_at: int,
                       now: int) -> Shortfall | None:
        """The ledger's reservation, given back when the call is cancelled on the way: the reservation
        may be taken all the same (by the SQL ledger's worker thread, which runs on; by Redis, which got
        the script), and nothing else would give it back before its lease ends."""
        task = _asyncio_task()
        cancels = 0 if task is None else task.cancelling()
        try:
            short = await self.ledger.reserve(token, counters, amount, expires_at, now)
            if task is None:  # trio: a worker thread is waited for, its cancellation raised only now
                await anyio.lowlevel.checkpoint_if_cancelled()
        except Exception:
            raise
        except BaseException:  # cancelled (asyncio, trio) or interrupted
            await self._give_back(token, counters)
            raise
        if task is not None and task.cancelling() > cancels:
            # A cancellation came and was swallowed on the way (redis-py 8.1.0 does, on a command's
            # first wait): the call must not go on as if its caller had not cancelled it.
            await self._give_back(token, counters)
            raise asyncio.CancelledError
        return short

    async def _give_back(self, token: str, counters: list[Counter]) -> None:
        """Release ``token`` (a no-op where it was not reserved), whatever cancels the call meanwhile."""
        try:
            with anyio.CancelScope(shield=True):
                await self.ledger.release(token, counters)
        except Exception as exc:  # the reservation then stops counting when its lease ends
            log("warning", "budget_release_failed", error=scrub_url(f"{type(exc).__name__}: {exc}"))

    def _lease(self, attempt: Any) -> float:
        """The lease configured, else the longer of the default and the client's deadline plus a margin."""
        if self.lease is not None:
            return self.lease
        routing = getattr(getattr(attempt, "_client", None), "routing", None)
        deadline = getattr(getattr(routing, "policy", None), "deadline", None)
        if isinstance(deadline, int | float) and deadline > 0:
            return max(DEFAULT_LEASE, deadline + LEASE_MARGIN)
        return DEFAULT_LEASE

    @staticmethod
    def _deny(call: Any, budget: Budget, subject: str, address: str, reason: str) -> None:
        audit.note(call, "denied", budget.name, address, subject=subject, reason=reason)


def _asyncio_task() -> asyncio.Task[Any] | None:
    """The asyncio task running, ``None`` under trio."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def _actual(outcome: Any) -> int | None:
    """What an attempt cost in nano-dollars; ``None`` for tokens at an unknown price."""
    cost = outcome.cost
    if cost is not None:
        return None if cost.total is None else nanos_up(cost.total)
    usage = outcome.usage
    return 0 if usage is None or usage.total == 0 else None


class Reservation:
    """One attempt's reservation on its counters: settled or released exactly once."""

    __slots__ = ("_address", "_call", "_client", "_counters", "_done", "_owner", "_token")

    def __init__(self, owner: Admitter, call: Any, token: str, counters: Sequence[tuple[Budget, Counter]],
                 address: str, client: Any) -> None:
        self._owner, self._call, self._token = owner, call, token
        self._counters, self._address, self._client = counters, address, client
        self._done = False

    async def settle(self, outcome: Any) -> None:
        """The attempt used ``outcome.cost``: the reservation becomes that spend; alerts fire."""
        if self._done:
            return
        self._done = True
        actual = _actual(outcome)
        owner = self._owner
        try:
            crossed = await owner.ledger.settle(self._token, [c for _, c in self._counters], actual,
                                                int(owner.clock() * 1_000_000))
        except Exception as exc:
            # The reservation stays counted until its lease ends; the spend cannot be recorded.
            log("error", "budget_settle_failed", error=scrub_url(f"{type(exc).__name__}: {exc}"),
                model=self._address)
            return
        for budget, counter in self._counters:
            audit.note(self._call, "settled", budget.name, self._address, subject=counter.subject,
                       amount=None if actual is None else _dollars(actual),
                       reason="unknown price: counted apart" if actual is None else None)
        budgets = {b.name: b for b, _ in self._counters}
        registry = getattr(self._client, "registry", None)
        for hit in crossed:
            budget = budgets[hit.counter.budget]
            c = hit.counter
            fire(BudgetAlert(budget=budget.name, scope=str(budget.scope), subject=c.subject,
                             threshold=hit.threshold, limit=budget.limit, spent=_dollars(hit.spent),
                             window_start=c.window_start / 1e6,
                             resets_at=None if c.window_end is None else c.window_end / 1e6, hard=budget.hard,
                             at=owner.clock()), registry)

    async def release(self, outcome: Any) -> None:
        """The attempt failed: the reservation is given back."""
        if self._done:
            return
        self._done = True
        try:
            await self._owner.ledger.release(self._token, [c for _, c in self._counters])
        except Exception as exc:
            log("warning", "budget_release_failed", error=scrub_url(f"{type(exc).__name__}: {exc}"),
                model=self._address)
            return
        for budget, counter in self._counters:
            audit.note(self._call, "released", budget.name, self._address, subject=counter.subject)
