"""The writer: one thread per store and process, with its own connection, committing in groups.

Calls hand it what they heard and a :class:`~modelplex_store.wake.Waiter`; it takes everything queued
since its last commit, turns it into rows, writes them and their rollups in one transaction, commits,
and only then wakes the calls: a call whose response reached its caller has its row committed. While
one group commits the next one gathers, so the cost of a commit is shared by every call in flight.

When the store cannot be written, a group goes to the spool instead (and the calls are woken once it is
there, durable); the writer tries the store again after a pause that grows to :data:`MAX_RETRY` and,
once it answers, delivers the spool before new groups. What the spool cannot hold is lost, counted in
:attr:`Writer.lost` and reported as an error, never silently.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from modelplex._logging import log
from modelplex._secret import scrub, scrub_url
from modelplex_store import journal as journals
from modelplex_store.checkpoint import Checkpointer
from modelplex_store.config import StoreConfig
from modelplex_store.db import Database, connect, sqlite_path
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.rows import Facts, Record, build, record
from modelplex_store.spool import Spool
from modelplex_store.wake import Waiter, late, wake_all

#: The most calls one transaction takes (a long queue is written in several).
MAX_GROUP = 2000
#: Records delivered from the spool per transaction.
DRAIN_GROUP = 500
#: The first pause before trying a store that failed again, and the longest.
FIRST_RETRY, MAX_RETRY = 0.5, 30.0


#: A queued call: what the hook heard (``call, outcome``), or ``None`` and the call's :class:`Record`
#: built already; and what is told once it is written (a :class:`Waiter`, the writer process's token,
#: or a :class:`Delivered` journal's).
Item = tuple[Any, Any, Any]


@attrs.frozen
class Delivered:
    """The token of a journal's last record (:func:`~modelplex_store.journal.orphans`): once it is
    written, the journal is deleted and its lock (``lock_fd``, ``-1`` for none held here) let go."""

    folder: Path
    owner: str
    lock_fd: int = -1

    def __call__(self) -> None:
        journals.remove(self.folder, self.owner)
        if self.lock_fd >= 0:
            os.close(self.lock_fd)


def journal_items(folder: Path, owner: str, lock_fd: int = -1) -> list[tuple[Facts | Record | None, Any]]:
    """The records of ``owner``'s journal in ``folder``, ready for :meth:`Writer.submit_records`, the last
    one carrying the :class:`Delivered` token that deletes the journal once they are written."""
    items: list[tuple[Facts | Record | None, Any]] = []
    for path in journals.segments(folder, owner):
        items += [(journals.loads(payload), None) for payload in journals.read_segment(path)]
    token = Delivered(folder, owner, lock_fd)
    if items:
        items[-1] = (items[-1][0], token)
    else:
        items.append((None, token))
    return items


def deliver_left_behind(config: StoreConfig, timeout: float = 60.0) -> int:
    """Deliver the journals of recording processes that died with their writer processes (both killed
    at once) before a command reads the store, rather than when the next recording process starts: how
    many there were. Nothing is started, and no connection made, when there are none."""
    found = journals.left_behind(journals.directory(config.data_dir, config.url))
    if found:
        Writer(config).close(timeout)  # it adopts them as it starts, writes them, and ends
    return found


def _wake(group: list[Item]) -> None:
    wake_all(w for _, _, w in group if isinstance(w, Waiter))


@attrs.frozen(kw_only=True)
class StoreStats:
    """What one process's recorder did so far: calls ``recorded`` in the store (directly or from the
    spool), ``spooled`` (written to the spool while the store was unavailable), ``lost`` (neither:
    the spool was full or could not be written), ``pending`` (queued or waiting in the spool now),
    ``groups`` (transactions that wrote them: fewer than calls when calls end together), ``late`` (calls
    of the process that stopped waiting for their rows after :data:`~modelplex_store.wake.LIMIT`) and
    the store's last error (scrubbed), if it is failing."""

    recorded: int = 0
    spooled: int = 0
    lost: int = 0
    pending: int = 0
    groups: int = 0
    late: int = 0
    last_error: str | None = None


class Writer:
    """The writing thread of one store (see the module's docstring)."""

    def __init__(self, config: StoreConfig, done: Callable[[list[Item]], None] | None = None,
                 linger: float = 0.0) -> None:
        self.config = config
        # Seconds a group waits for more calls before it is written, unless a call waits for it (see
        # submit_records): a group's commit and rollup upserts are shared by its calls.
        self._linger = linger
        self._hurry = False
        # What is done with a group once it is committed or spooled: by default, wake its waiters;
        # the writer process (writer_main.py) tells its parent instead.
        self._done = done or _wake
        self._queue: collections.deque[Item] = collections.deque()
        self._ready = threading.Condition(threading.Lock())
        self._db: Database | None = None
        self._checkpointer: Checkpointer | None = None
        self._fresh: Database | None = None  # opened by the probe, not yet taken by the writer
        self._probe: threading.Thread | None = None
        self._spool = Spool(config.spool_path, config.spool_max_rows)
        self._spool_waiting = True  # a spool left by an earlier process is looked at first
        self._retry_at = 0.0
        self._pause = FIRST_RETRY
        self._stopping = False
        self._busy = False
        self.recorded = self.spooled = self.lost = self.groups = 0
        self.last_error: str | None = None
        self.last_loss: str | None = None  # what :meth:`_lose` said last
        self._thread = threading.Thread(target=self._run, name="modelplex-store-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the calls' side ---------------------------------------------------------------------------
    def record(self, call: Any, outcome: Any) -> Waiter:
        """Queue one call; the :class:`Waiter` returned is woken once its row is committed or spooled."""
        waiter = Waiter()
        self.submit(call, outcome, waiter)
        return waiter

    def submit(self, call: Any, outcome: Any, waiter: Waiter | None) -> None:
        """Queue one call; ``waiter`` is woken once its row is committed or spooled."""
        with self._ready:
            self._queue.append((call, outcome, waiter))
            if len(self._queue) == 1:
                self._ready.notify()

    def submit_records(self, items: Sequence[tuple[Facts | Record | None, Any]], *,
                       hurry: bool = True) -> None:
        """Queue calls read already (the writer process's: its parent read their
        :func:`~modelplex_store.rows.facts`; or rows an older version journaled), each with a token handed
        back to ``done`` once written; ``None`` in place of a record carries only its token (an empty
        journal's :class:`Delivered`). ``hurry=False`` lets a writer that lingers (the writer process of a
        journaling parent) wait for more before it writes them: no call waits for these."""
        with self._ready:
            was_empty = not self._queue
            self._queue.extend((None, record, token) for record, token in items)
            if hurry:
                self._hurry = True
            if (was_empty or hurry) and self._queue:
                self._ready.notify()

    def spool_waiting(self) -> int:
        """Records waiting in the spool for the store to come back."""
        try:
            return self._spool.count() if self._spool_waiting else 0
        except Exception:  # the spool file is unreadable: its count is unknown, not a failure here
            return 0

    def stats(self) -> StoreStats:
        """The counters, now."""
        with self._ready:
            queued = len(self._queue) + int(self._busy)
        waiting = self.spool_waiting()
        return StoreStats(recorded=self.recorded, spooled=self.spooled, lost=self.lost,
                          pending=queued + waiting, groups=self.groups, late=late(),
                          last_error=self.last_error)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (to the store or the spool)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._ready:
                if not self._queue and not self._busy:
                    return True
            time.sleep(0.002)
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, stop the thread, close the connections."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        atexit.unregister(self.close)

    # -- the thread --------------------------------------------------------------------------------
    def _take(self) -> list[Item] | None:
        with self._ready:
            while not self._queue and not self._stopping:
                # With a spool to deliver, wake up to retry the store even when no call comes.
                self._ready.wait(self._pause if self._spool_waiting else None)
                if self._spool_waiting and not self._queue:
                    return []
            if not self._queue:
                return None  # stopping, and nothing left
            if self._linger:
                deadline = time.monotonic() + self._linger
                while not self._hurry and not self._stopping and len(self._queue) < MAX_GROUP:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._ready.wait(left)
                self._hurry = False
            count = min(len(self._queue), MAX_GROUP)
            group = [self._queue.popleft() for _ in range(count)]
            self._busy = True
            return group

    def adopt_orphans(self) -> None:
        """Queue the journals whose processes died before delivering them (journal.py), first."""
        folder = journals.directory(self.config.data_dir, self.config.url)
        for owner, lock_fd in journals.orphans(folder):
            try:
                items = journal_items(folder, owner, lock_fd)
            except Exception as exc:  # unreadable: left for a later writer, and said so
                os.close(lock_fd)
                log("error", "store_journal_unreadable", owner=owner,
                    error=scrub(f"{type(exc).__name__}: {exc}"))
                continue
            log("warning", "store_journal_adopted", owner=owner, calls=len(items))
            self.submit_records(items)

    def _run(self) -> None:
        try:
            try:
                self.adopt_orphans()
            except Exception as exc:  # a journal directory that cannot be read: nothing adopted, and said so
                log("error", "store_journal_unreadable", error=scrub(f"{type(exc).__name__}: {exc}"))
            while True:
                group = self._take()
                if group is None:
                    break
                try:
                    if self._spool_waiting:
                        self._drain()
                    if group:
                        self._write(group)
                finally:
                    with self._ready:
                        self._busy = False
                    self._done(group)
                    for _, _, token in group:
                        if type(token) is Delivered:
                            with contextlib.suppress(OSError):
                                token()
        finally:
            if self._db is not None:
                self._db.close()
            if self._checkpointer is not None:
                self._checkpointer.close()
            self._spool.close()

    def _build(self, group: list[Item]) -> list[Record]:
        records = []
        for call, outcome, _ in group:
            try:
                if call is not None:
                    records.append(record(call, outcome, content=self.config.content))
                elif type(outcome) is tuple:  # a call's facts
                    records.append(build(outcome))
                elif outcome is not None:  # built already (None: a token alone)
                    records.append(outcome)
            except Exception as exc:  # a call the row builder cannot read: lost, and said so
                kind = getattr(call, "kind", "?") if call is not None else (outcome[3:4] or ("?",))[0]
                self._lose(1, f"row of a {kind} call failed: {type(exc).__name__}: {exc}")
        return records

    def _write(self, group: list[Item]) -> None:
        try:
            records = self._build(group)
            if records and not self._to_store(records):
                self._to_spool(records)
        except Exception as exc:  # a fault of ours: the calls go on (they are woken), their rows are lost
            self._lose(len(group), f"the writer failed: {type(exc).__name__}: {exc}")

    def _store(self) -> Database | None:
        """The store's connection. The first is opened (and the store migrated) here; once the store has
        failed, a probe thread opens the next, after a growing pause, while groups go to the spool: a
        server that hangs holds the calls of one group for the connect timeout, not of every retry."""
        if self._db is None:
            with self._ready:  # the probe hands its connection over under this lock
                fresh, self._fresh = self._fresh, None
            if fresh is not None:
                self._db = fresh
            elif self.last_error is None:
                self._db = self._open()
            elif self._probe is None and time.monotonic() >= self._retry_at:
                self._probe = threading.Thread(target=self._reconnect, name="modelplex-store-probe",
                                               daemon=True)
                self._probe.start()
        return self._db

    def _open(self) -> Database | None:
        try:
            db = connect(self.config.url)
            try:
                migrate(db)
                if db.dialect == "sqlite":  # checkpoints happen in their own thread, not in a commit
                    db.execute("PRAGMA wal_autocheckpoint=0")
                    if self._checkpointer is None:
                        self._checkpointer = Checkpointer(sqlite_path(self.config.url))
            except BaseException:
                db.close()
                raise
        except Exception as exc:
            self._failed(exc)
            return None
        return db

    def _reconnect(self) -> None:
        """The probe: try the store once; hand a connection over and wake the writer to drain the spool."""
        db = self._open()
        with self._ready:
            self._fresh = db
            self._probe = None
            self._ready.notify()

    def _to_store(self, records: list[Record]) -> bool:
        db = self._store()
        if db is None:
            return False
        try:
            self.recorded += deliver(db, records)
            self.groups += 1
            if self._checkpointer is not None:
                self._checkpointer.committed()
        except Exception as exc:
            self._failed(exc)
            return False
        if self.last_error is not None:
            self.last_error = None
            self._pause = FIRST_RETRY
        return True

    def _failed(self, exc: BaseException) -> None:
        """The store failed: drop the connection, try again after a growing pause."""
        if self._db is not None:
            self._db.close()
            self._db = None
        first = self.last_error is None
        self.last_error = scrub_url(scrub(f"{type(exc).__name__}: {exc}"))
        self._retry_at = time.monotonic() + self._pause
        self._pause = min(self._pause * 2, MAX_RETRY)
        if first:
            log("warning", "store_unavailable", store=scrub_url(self.config.url), error=self.last_error)

    def _to_spool(self, records: list[Record]) -> None:
        try:
            lost = self._spool.put(records)
        except Exception as exc:
            self._lose(len(records), f"the spool {self._spool.path} failed: {type(exc).__name__}: {exc}")
            return
        self._spool_waiting = True
        self.spooled += len(records) - lost
        if lost:
            self._lose(lost, f"the spool is full ({self._spool.max_rows} rows)")

    def _lose(self, count: int, why: str) -> None:
        self.lost += count
        message = scrub_url(scrub(f"modelplex-store: {count} call row(s) lost ({self.lost} in all): {why}; "
                                  f"store {self.config.url}: {self.last_error or 'reachable'}"))
        self.last_loss = message
        log("error", "store_rows_lost", count=count, lost=self.lost, reason=message)
        warnings.warn(message, RuntimeWarning, stacklevel=1)

    def _drain(self) -> None:
        """Deliver the spool, oldest first, while the store takes it. A record delivered but not yet
        removed when this fails is delivered again later, which the store ignores."""
        while self._store() is not None:
            try:
                waiting = self._spool.peek(DRAIN_GROUP)
                if not waiting:
                    self._spool_waiting = False
                    return
                if not self._to_store([r for _, r in waiting]):
                    return
                self._spool.remove([seq for seq, _ in waiting])
            except Exception as exc:
                self.last_error = scrub(f"the spool {self._spool.path}: {type(exc).__name__}: {exc}")
                log("error", "store_spool_failed", error=self.last_error)
                return
