"""Writes never fail a call (issue 14, item 2): while the store cannot be written, rows wait in the local
spool and are delivered once it is back, each exactly once; past the spool's bound the loss is counted,
logged as an error and warned about, never silent."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from exchange import call, record_calls, recorder, rollups, rows
from modelplex_store import db as store_db
from modelplex_store import wake
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.recorder import Recorder
from modelplex_store.rows import Record, record
from modelplex_store.spool import Spool
from modelplex_store.testing import find_postgres, postgres_server

from modelplex_testing.logs import captured_logs


def wait_delivered(rec: Recorder, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = rec.stats()
        if stats.recorded >= count and stats.pending == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"not delivered in {timeout}s: {rec.stats()}")


def inputs(url: str) -> list[int]:
    return sorted(r["input"] for r in rows(url))


@pytest.fixture
def blocked(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite store that cannot be opened (its directory is a file) until that file is removed."""
    blocker = tmp_path / "db-dir"
    blocker.write_text("not a directory")
    return f"sqlite:///{blocker / 'store.db'}", blocker


def test_rows_wait_in_the_spool_while_sqlite_is_unavailable_and_arrive_once(
        blocked: tuple[str, Path], tmp_path: Path) -> None:
    url, blocker = blocked
    rec = recorder(url, tmp_path / "data")
    try:
        asyncio.run(record_calls(rec, 5))  # every call returns: nothing failed it
        stats = rec.stats()
        assert (stats.spooled, stats.recorded, stats.lost, stats.pending) == (5, 0, 0, 5)
        assert stats.last_error is not None and "store.db" in stats.last_error
        blocker.unlink()  # the store is back
        wait_delivered(rec, 5)
    finally:
        rec.close()
    assert inputs(url) == [1, 2, 3, 4, 5]
    assert Spool(rec.config.spool_path, 10).count() == 0
    hour = [v for k, v in rollups(url).items() if k[0] == "hour"]
    assert sum(v["calls"] for v in hour) == 5 and sum(v["input"] for v in hour) == 15


def test_rows_spooled_while_postgresql_is_down_arrive_once_it_is_back(tmp_path: Path) -> None:
    if find_postgres() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with postgres_server() as server:
        url = server.database("spooled")
        rec = recorder(url, tmp_path / "data")
        try:
            asyncio.run(record_calls(rec, 2))  # the store up: written
            server.stop("immediate")
            asyncio.run(record_calls(rec, 3))  # down: spooled, the calls go on
            assert rec.stats().spooled == 3
            server.start()
            wait_delivered(rec, 5)
        finally:
            rec.close()
        assert inputs(url) == [1, 1, 2, 2, 3]
        assert sum(v["calls"] for k, v in rollups(url).items() if k[0] == "day") == 5


def test_a_record_delivered_twice_is_stored_once(store_url: str) -> None:
    """A crash after the store's commit and before the spool's delete delivers the same records again."""
    records = [record(*call(n)) for n in (1, 2, 3)]
    db = store_db.connect(store_url)
    try:
        migrate(db)
        assert deliver(db, records) == 3
        before = rollups(store_url)
        assert deliver(db, [*records, record(*call(4))]) == 1  # three again and a new one
    finally:
        db.close()
    assert inputs(store_url) == [1, 2, 3, 4]
    for grain in ("hour", "day"):  # the rollups counted the new call alone
        old = [v for k, v in before.items() if k[0] == grain]
        new = [v for k, v in rollups(store_url).items() if k[0] == grain]
        assert (sum(v["calls"] for v in old), sum(v["input"] for v in old)) == (3, 6)
        assert (sum(v["calls"] for v in new), sum(v["input"] for v in new)) == (4, 10)


def test_a_spool_left_by_a_crashed_process_is_delivered_by_the_next(store_url: str, tmp_path: Path) -> None:
    rec = recorder(store_url, tmp_path / "data")
    records = [record(*call(n)) for n in (1, 2)]
    spool = Spool(rec.config.spool_path, 10)
    assert spool.put(records) == 0
    db = store_db.connect(store_url)
    try:
        migrate(db)
        deliver(db, records[:1])  # the first had reached the store before the crash
    finally:
        db.close()
        spool.close()
    try:
        wait_delivered(rec, 1)  # a new writer delivers the spool at start, the first one skipped
        assert rec.stats().recorded == 1
    finally:
        rec.close()
    assert inputs(store_url) == [1, 2]
    assert sum(v["calls"] for k, v in rollups(store_url).items() if k[0] == "hour") == 2


@pytest.mark.parametrize("durability", ["commit", "journal"])
def test_past_the_spool_bound_losses_are_counted_logged_and_warned(
        blocked: tuple[str, Path], tmp_path: Path, durability: str) -> None:
    url, _ = blocked
    rec = recorder(url, tmp_path / "data", spool_max_rows=3, durability=durability)
    try:
        with captured_logs() as logs, pytest.warns(RuntimeWarning, match="lost") as warned:
            asyncio.run(record_calls(rec, 5))
        stats = rec.stats()
    finally:
        rec.close()
    assert (stats.spooled, stats.lost) == (3, 2)
    lost = [e for e in logs if e["event"] == "store_rows_lost"]
    if durability == "commit":  # each call waits for its row: the losses come one by one
        assert ["(1 in all)" in str(w.message) for w in warned] == [True, False]
        assert "(2 in all)" in str(warned[1].message)
        assert [(e["log_level"], e["lost"]) for e in lost] == [("error", 1), ("error", 2)]
    else:  # journaled calls reach the writer together: their losses may come in one group, all said
        assert "(2 in all)" in str(warned[-1].message)
        assert lost and lost[-1]["lost"] == 2 and {e["log_level"] for e in lost} == {"error"}


def test_spooled_records_read_back_as_written(tmp_path: Path) -> None:
    records = [record(*call(1), content=True), record(*call(2))]
    spool = Spool(tmp_path / "spool.db", 10)
    try:
        spool.put(records)
        assert [r for _, r in spool.peek(10)] == records
    finally:
        spool.close()
    assert isinstance(records[0], Record) and records[0].content is not None


def test_a_postgresql_server_that_never_answers_holds_a_call_seconds_not_forever(tmp_path: Path) -> None:
    """A server that accepts the connection and then says nothing (a hung host): the call waits for the
    connect timeout, then its row is spooled."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts nor answers
        url = f"postgresql://u@127.0.0.1:{silent.getsockname()[1]}/db"
        rec = recorder(url, tmp_path / "data", durability="commit")  # calls that wait for their rows
        try:
            started = time.monotonic()
            asyncio.run(record_calls(rec, 1))
            first = time.monotonic() - started
            started = time.monotonic()
            asyncio.run(record_calls(rec, 3))  # known down now: spooled at once, retried aside
            then = time.monotonic() - started
            stats = rec.stats()
        finally:
            rec.close()
    assert first < store_db.CONNECT_TIMEOUT + 5 and then < 1.0
    assert (stats.spooled, stats.lost) == (4, 0) and "timeout" in (stats.last_error or "").lower()


def test_a_store_that_stalls_holds_a_call_at_most_the_limit_and_its_row_follows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds SQLite's write lock: the writer waits for it (as it should, the lock is
    usually brief), the call returns after the limit, counted late, and its row is written once the
    lock is released."""
    monkeypatch.setattr(wake, "LIMIT", 0.5)
    url = str(tmp_path / "store.db")
    rec = recorder(url, tmp_path / "data", durability="commit")  # calls that wait for their rows
    try:
        asyncio.run(record_calls(rec, 1))  # the store made and migrated
        holder = sqlite3.connect(url, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, taken away
        started = time.monotonic()
        asyncio.run(record_calls(rec, 1, settle=False))
        waited = time.monotonic() - started
        late_then = rec.stats().late
        holder.execute("ROLLBACK")
        holder.close()
        assert rec.flush()
    finally:
        rec.close()
    assert 0.4 < waited < 3.0 and late_then >= 1
    assert inputs(url) == [1, 1]
