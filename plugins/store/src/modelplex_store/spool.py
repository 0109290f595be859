"""The spool: where records wait while the store cannot be written, in a local SQLite file (durable,
ordered, shared by the processes of the machine), until they are delivered.

It holds at most ``max_rows`` records; what does not fit is refused and the caller counts it as lost.
A record leaves the spool only after the store's transaction holding it has committed; a crash in
between delivers it again, which the store ignores (its id is already there).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from modelplex_store.db import open_sqlite
from modelplex_store.rows import Record

_CREATE = ("CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
           "id TEXT NOT NULL UNIQUE, record TEXT NOT NULL)")


class Spool:
    """A spool file, opened on first use. Used by one thread (the writer's), but for :meth:`count`."""

    __slots__ = ("_conn", "max_rows", "path")

    def __init__(self, path: Path, max_rows: int) -> None:
        self.path = path
        self.max_rows = max_rows
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = open_sqlite(self.path)
            conn.execute(_CREATE)
            self._conn = conn
        return self._conn

    def put(self, records: Sequence[Record]) -> int:
        """Keep as many of ``records`` as fit, in order; returns how many did not (lost)."""
        conn = self._open()
        conn.execute("BEGIN IMMEDIATE")
        try:
            held = conn.execute("SELECT count(*) FROM spool").fetchone()[0]
            room = max(0, self.max_rows - held)
            kept = records[:room]
            conn.executemany("INSERT OR IGNORE INTO spool (id, record) VALUES (?, ?)",
                             [(r.id, r.to_json()) for r in kept])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return len(records) - len(kept)

    def peek(self, limit: int) -> list[tuple[int, Record]]:
        """The oldest ``limit`` records, with their sequence numbers; none when there is no spool file."""
        if self._conn is None and not self.path.exists():
            return []
        rows = self._open().execute("SELECT seq, record FROM spool ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [(seq, Record.from_json(text)) for seq, text in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        """Forget the records ``seqs`` (delivered)."""
        conn = self._open()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("DELETE FROM spool WHERE seq = ?", [(s,) for s in seqs])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def count(self) -> int:
        """How many records wait. Any thread may ask: this reads through a connection of its own."""
        if not self.path.exists():
            return 0
        conn = sqlite3.connect(self.path, timeout=5.0)
        try:
            return int(conn.execute("SELECT count(*) FROM spool").fetchone()[0])
        except sqlite3.OperationalError:  # the file is there, its table not yet
            return 0
        finally:
            conn.close()

    def close(self) -> None:
        """Close the file (it is opened again on next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
