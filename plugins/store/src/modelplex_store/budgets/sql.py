"""The budget ledger in the store's database (the default): SQLite or PostgreSQL, one transaction per
reservation, settlement or release.

Atomicity: on SQLite the transaction takes the database's write lock at once (``BEGIN IMMEDIATE``), so
reservations of every process and thread are one after the other; on PostgreSQL each counter's row is
locked (``SELECT ... FOR UPDATE``, the counters always in the same order, so two reservations never wait on
each other), and a reservation's check and insert happen under those locks. In READ COMMITTED each
statement then sees every reservation committed before the lock was granted.

The driver is synchronous: each operation runs in the ledger's one worker thread (:mod:`.worker`), on its
one connection, so the event loop never waits on a disk or a socket; operations run in the order they
were asked for, and one whose caller is cancelled runs all the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from modelplex._secret import scrub_url
from modelplex_store.budgets.ledger import Counter, CounterState, Crossed, LedgerUnavailable, Shortfall
from modelplex_store.budgets.worker import Worker
from modelplex_store.db import Database
from modelplex_store.migrations import connect_migrated

T = TypeVar("T")
_NEW_COUNTER = ("INSERT INTO budget_counters (budget, subject, window_start, window_end) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING")
_SPENT = "SELECT spent_nanos FROM budget_counters WHERE budget = ? AND subject = ? AND window_start = ?"
_EXPIRED = "DELETE FROM budget_reservations WHERE budget = ? AND subject = ? AND expires_at <= ?"
_RESERVED = ("SELECT coalesce(sum(amount_nanos), 0) FROM budget_reservations "
             "WHERE budget = ? AND subject = ? AND window_start = ?")
_RESERVE = ("INSERT INTO budget_reservations (token, budget, subject, window_start, amount_nanos, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)")
_DROP = "DELETE FROM budget_reservations WHERE token = ? AND budget = ? AND subject = ?"
_ADD = ("UPDATE budget_counters SET spent_nanos = spent_nanos + ?, calls = calls + 1, "
        "unpriced_calls = unpriced_calls + ? WHERE budget = ? AND subject = ? AND window_start = ?")
_FIRED = ("INSERT INTO budget_alerts (budget, subject, window_start, threshold, fired_at, spent_nanos) "
          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
_COUNTS = ("SELECT spent_nanos, calls, unpriced_calls FROM budget_counters "
           "WHERE budget = ? AND subject = ? AND window_start = ?")
_LIVE = ("SELECT coalesce(sum(amount_nanos), 0) FROM budget_reservations "
         "WHERE budget = ? AND subject = ? AND window_start = ? AND expires_at > ?")
_THRESHOLDS = ("SELECT threshold FROM budget_alerts WHERE budget = ? AND subject = ? AND window_start = ? "
               "ORDER BY threshold")


class _Refused(Exception):
    """Rolls back a reservation that did not fit."""

    def __init__(self, shortfall: Shortfall) -> None:
        self.shortfall = shortfall


class SqlLedger:
    """The ledger in the store's database at ``url`` (migrated on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: Database | None = None
        self._lock = threading.Lock()  # the worker, or a synchronous caller (the CLI)
        self._worker = Worker("modelplex-ledger")

    def __repr__(self) -> str:
        return f"SqlLedger({scrub_url(self.url)!r})"

    # -- plumbing ----------------------------------------------------------------------------------
    def _run(self, work: Callable[[Database], T]) -> T:
        with self._lock:
            try:
                if self._db is None:
                    self._db = connect_migrated(self.url)
                return work(self._db)
            except _Refused:
                raise
            except Exception as exc:
                # A broken connection is dropped: the next operation opens a new one.
                if self._db is not None:
                    self._db.close()
                    self._db = None
                raise LedgerUnavailable(scrub_url(f"the budget ledger {self.url} cannot be used: "
                                                  f"{type(exc).__name__}: {exc}")) from None

    async def _call(self, work: Callable[[Database], T]) -> T:
        return await self._worker.run(lambda: self._run(work))

    @staticmethod
    def _lock_counter(db: Database, c: Counter) -> int:
        """Make the counter's row if it is new and lock it; its spend."""
        db.execute(_NEW_COUNTER, (c.budget, c.subject, c.window_start, c.window_end))
        lock = " FOR UPDATE" if db.dialect == "postgresql" else ""
        row = db.execute(_SPENT + lock, (c.budget, c.subject, c.window_start)).fetchone()
        return int(row[0])

    # -- the operations ----------------------------------------------------------------------------
    async def reserve(self, token: str, counters: Sequence[Counter], amount: int, expires_at: int,
                      now: int) -> Shortfall | None:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.reserve`."""
        ordered = sorted(counters)

        def work(db: Database) -> None:
            with db.transaction():
                for c in ordered:
                    spent = self._lock_counter(db, c)
                    db.execute(_EXPIRED, (c.budget, c.subject, now))
                    row = db.execute(_RESERVED, (c.budget, c.subject, c.window_start)).fetchone()
                    reserved = int(row[0])
                    if c.hard and spent + reserved + amount > c.limit:
                        raise _Refused(Shortfall(counter=c, spent=spent, reserved=reserved))
                db.executemany(_RESERVE, [(token, c.budget, c.subject, c.window_start, amount, expires_at)
                                          for c in ordered])

        try:
            await self._call(work)
        except _Refused as refused:
            return refused.shortfall
        return None

    async def settle(self, token: str, counters: Sequence[Counter], actual: int | None,
                     now: int) -> list[Crossed]:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.settle`."""
        ordered = sorted(counters)

        def work(db: Database) -> list[Crossed]:
            crossed: list[Crossed] = []
            with db.transaction():
                for c in ordered:
                    self._lock_counter(db, c)
                    db.execute(_DROP, (token, c.budget, c.subject))
                    db.execute(_ADD, (actual or 0, int(actual is None), c.budget, c.subject, c.window_start))
                    spent = int(db.execute(_SPENT, (c.budget, c.subject, c.window_start)).fetchone()[0])
                    for threshold in c.alerts:
                        if spent * 100 < threshold * c.limit:
                            break
                        cursor = db.execute(_FIRED, (c.budget, c.subject, c.window_start, threshold, now,
                                                     spent))
                        if cursor.rowcount == 1:
                            crossed.append(Crossed(counter=c, threshold=threshold, spent=spent))
            return crossed

        return await self._call(work)

    async def release(self, token: str, counters: Sequence[Counter]) -> None:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.release`."""

        def work(db: Database) -> None:
            with db.transaction():
                db.executemany(_DROP, [(token, c.budget, c.subject) for c in counters])

        await self._call(work)

    async def states(self, counters: Sequence[Counter], now: int) -> list[CounterState]:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.states`."""
        return await self._call(lambda db: [_state(db, c, now) for c in counters])

    def subjects(self, budget: str, window_start: int) -> list[str]:
        """The counters a per-value budget has in a window (synchronous: the CLI's)."""
        return self._run(lambda db: [str(r[0]) for r in db.execute(
            "SELECT subject FROM budget_counters WHERE budget = ? AND window_start = ? ORDER BY subject",
            (budget, window_start)).fetchall()])

    def run_sync(self, work: Callable[[Database], T]) -> T:
        """Run ``work`` on the ledger's connection, in this thread (the CLI, the change log)."""
        return self._run(work)

    async def aclose(self) -> None:
        """Close the connection, once the operations asked for have run."""

        def close() -> None:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

        try:
            await self._worker.run(close)
        finally:
            self._worker.close()


def _state(db: Database, c: Counter, now: int) -> CounterState:
    key = (c.budget, c.subject, c.window_start)
    row: Any = db.execute(_COUNTS, key).fetchone() or (0, 0, 0)
    reserved = db.execute(_LIVE, (*key, now)).fetchone()[0]
    fired = tuple(int(r[0]) for r in db.execute(_THRESHOLDS, key).fetchall())
    return CounterState(budget=c.budget, subject=c.subject, window_start=c.window_start,
                        window_end=c.window_end, spent=int(row[0]), reserved=int(reserved), calls=int(row[1]),
                        unpriced_calls=int(row[2]), fired=fired)
