"""Checkpoints of a SQLite store's write-ahead log, off the writer's path.

SQLite checkpoints by default in the connection whose commit filled the log past 1,000 pages, and a
checkpoint syncs the database file: a commit that triggers one takes tens of milliseconds, and so does
every call waiting on that commit. The writer turns that off for its connection and asks this thread,
with a connection of its own, for a ``PASSIVE`` checkpoint (which never blocks the writer) every
:data:`EVERY` commits; commits go on appending to the log meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from modelplex._logging import log
from modelplex_store.db import open_sqlite

#: Commits between two checkpoints: the log stays around a few megabytes at a hundred calls a commit.
EVERY = 200


class Checkpointer:
    """A thread that checkpoints the SQLite file ``path`` when :meth:`due` is called often enough."""

    __slots__ = ("_commits", "_stop", "_thread", "_wake", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._commits = 0
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="modelplex-store-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """One more commit; every :data:`EVERY`-th wakes the thread."""
        self._commits += 1
        if self._commits >= EVERY:
            self._commits = 0
            self._wake.set()

    def close(self) -> None:
        """Checkpoint once more and stop the thread."""
        self._stop = True
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(10)

    def _run(self) -> None:
        conn = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                try:
                    conn = conn or open_sqlite(self.path)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except Exception as exc:  # the next one will try again; the log only grows meanwhile
                    log("warning", "store_checkpoint_failed", error=f"{type(exc).__name__}: {exc}")
                if self._stop:
                    return
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
