"""SQLite's write-ahead log is checkpointed by a thread of its own (the writer's connection never
checkpoints, so that no commit, and no call waiting on it, pays for syncing the database file): the log
is still moved into the database file as calls are recorded, while the store stays open."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from exchange import record_calls, recorder
from modelplex_store.checkpoint import EVERY


def test_the_log_reaches_the_database_file_while_the_store_is_open(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    rec = recorder(str(path), tmp_path / "data", durability="commit")  # each call its own commit
    try:
        asyncio.run(record_calls(rec, EVERY * 2 + 10))  # one commit each: two checkpoints due
        assert rec.stats().groups >= EVERY * 2
        with sqlite3.connect(path) as db:  # rows in the database file, not only in the log
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert db.execute("SELECT count(*) FROM calls").fetchone() == (EVERY * 2 + 10,)
        deadline = time.monotonic() + 20  # the checkpoint runs beside the calls, in its own time
        while path.stat().st_size <= 64 * 1024 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > 64 * 1024
    finally:
        rec.close()
