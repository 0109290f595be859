"""The database goes away in the middle of a load and comes back: no call fails for it, and every call's
row arrives exactly once (the rows written meanwhile wait in the local spool and are delivered when the
database is back; delivery is idempotent on the call id, so a group whose commit was cut off mid-way
and is sent again is not counted twice).

PostgreSQL is stopped for real (``pg_ctl stop``: ``fast`` ends the sessions cleanly, ``immediate`` is a
crash with recovery at the next start) and started again on the same port, while the load goes on long
enough for the same process to deliver its spool. A process that ends while the database is still down
leaves its rows in the spool (a file of the data directory) for the next process to deliver. SQLite has
no server to stop: its counterpart is another process holding the write lock for a while, mid-load.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from loadgen import Seen, collect, launch, rollup_gaps, stored, write_config
from modelplex_store.testing import PostgresServer, StopMode

from modelplex_testing.faults import FaultServer

CALLS = 5000
IN_FLIGHT = 20
# Each slot held 20 ms after its call: at most 1,000 calls a second, so that on any machine the load goes
# on for seconds after the database is back (the writer tries it again after pauses growing from 0.5 s).
HOLD = 0.02
DOWN_AFTER = 300  # outcomes reached before the database goes away
DOWN_FOR = 1.0  # seconds


def spooled(data: Path) -> int:
    """The records waiting in the spool files of a data directory."""
    total = 0
    for path in (data / "spool").glob("*.db"):
        with closing(sqlite3.connect(path)) as conn:
            total += conn.execute("SELECT count(*) FROM spool").fetchone()[0]
    return total


def check_exactly_once(url: str, prefix: str, seen: Seen, calls: int = CALLS) -> None:
    assert seen.returncode == 0 and seen.done, seen.stderr[-3000:]
    assert seen.errors == (), f"calls failed while the store was away: {seen.errors[:5]}"
    assert len(seen.ok) == calls
    rows = stored(url, prefix)
    assert set(rows) == seen.reached, (len(rows), len(seen.reached))
    assert max(rows.values()) == 1, [m for m, n in rows.items() if n > 1][:5]
    assert rollup_gaps(url) == {}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_stopped_mid_load_and_restarted_every_row_arrives_once(
        postgres: PostgresServer, mode: StopMode, tmp_path: Path) -> None:
    url = postgres.database(f"restart_{mode}")

    def outage() -> None:
        postgres.stop(mode)
        threading.Timer(DOWN_FOR, postgres.start).start()

    with FaultServer(["local"]) as server:
        config = write_config(tmp_path / "config.toml", server.url("local"), url)
        process = launch(config, tmp_path / "data", calls=CALLS, prefix="r", in_flight=IN_FLIGHT, hold=HOLD)
        try:
            seen = collect(process, after=DOWN_AFTER, then=outage)
        finally:
            deadline = time.monotonic() + 30
            while not postgres.running() and time.monotonic() < deadline:
                time.sleep(0.1)
    assert postgres.running()
    check_exactly_once(url, "r", seen)
    assert seen.stats["spooled"] > 0, seen.stats  # the outage was met mid-load
    assert seen.stats["recorded"] == CALLS and seen.stats["lost"] == 0, seen.stats  # ...and got over in it
    assert spooled(tmp_path / "data") == 0


@pytest.mark.slow
def test_rows_of_a_process_that_ended_while_postgresql_was_down_are_delivered_once_by_the_next(
        postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.database("restart_later")
    data = tmp_path / "data"
    with FaultServer(["local"]) as server:
        config = write_config(tmp_path / "config.toml", server.url("local"), url)
        postgres.stop("fast")
        try:
            early = collect(launch(config, data, calls=500, prefix="early"))
        finally:
            postgres.start()
        assert spooled(data) == 500
        late = collect(launch(config, data, calls=10, prefix="late"))
    check_exactly_once(url, "early", early, 500)
    check_exactly_once(url, "late", late, 10)
    assert (early.stats["spooled"], early.stats["recorded"]) == (500, 0), early.stats
    assert late.stats["recorded"] == 510, late.stats  # its own 10 and the 500 it found in the spool


@pytest.mark.slow
def test_sqlite_write_lock_held_by_another_process_mid_load_every_row_arrives_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    held = threading.Event()

    def hold_the_lock() -> None:
        conn = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(DOWN_FOR)
            conn.execute("COMMIT")
        finally:
            conn.close()

    holder = threading.Thread(target=hold_the_lock)
    with FaultServer(["local"]) as server:
        config = write_config(tmp_path / "config.toml", server.url("local"), url)
        process = launch(config, tmp_path / "data", calls=CALLS, prefix="l", in_flight=IN_FLIGHT, hold=HOLD)
        seen = collect(process, after=DOWN_AFTER, then=holder.start)
        holder.join()
    assert held.is_set()
    check_exactly_once(url, "l", seen)
    assert seen.stats["lost"] == 0, seen.stats
