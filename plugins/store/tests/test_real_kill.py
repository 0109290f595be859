"""SIGKILL at random points of a 2,000-call load, twenty times, on a real SQLite file and a real PostgreSQL
server: afterwards every call whose outcome had reached its caller has its row, none has two, and no row
belongs to a call that was never made; the rollups still equal the rows (a row and its rollup updates
commit together or not at all), and no attempt row is without its call.

The calls go through a chain of two loopback providers, and one request in twenty meets a fault (a 500
or 503, a reset connection, a body that is not JSON): a call whose first provider failed has attempt
rows beside its own, one that failed on both is recorded as failed, and all are killed mid-way like the
rest. The kill point is the k-th outcome read from the load generator (k uniform over the load), plus a
pause of up to 5 ms so that it lands anywhere in a group commit; two of the twenty kills land during
start-up (opening and migrating the store). The twenty runs share one database, as a machine's log
would. The seed is printed; ``STORE_KILL_SEED=<n>`` replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from loadgen import attempt_rows, collect, killer, launch, rollup_gaps, stored, write_config

from modelplex_testing.faults import FaultServer

KILLS = 20
CALLS = 2000
STARTUP_KILLS = (3, 11)  # runs killed during start-up rather than after the k-th outcome
FAULTS = {"500": 1.0, "503": 1.0, "reset": 1.0, "malformed": 1.0}


@pytest.mark.slow
def test_sigkill_at_random_points_loses_no_row_whose_response_reached_the_caller(
        store_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("STORE_KILL_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    print(f"\nSTORE_KILL_SEED={seed}")
    started = time.monotonic()
    reached = rows_total = failed = 0
    with FaultServer(["local", "backup"], seed=seed, fault_rate=0.05, faults=FAULTS) as server:
        config = write_config(tmp_path / "config.toml", server.url("local"), store_url,
                              backup_url=server.url("backup"))
        for run in range(KILLS):
            prefix = f"k{run}"
            process = launch(config, tmp_path / "data", calls=CALLS, prefix=prefix, model="chain/load")
            if run in STARTUP_KILLS:
                seen = collect(process, after=0, then=killer(process, rng.uniform(0.05, 0.6)))
            else:
                at = rng.randrange(1, CALLS)
                seen = collect(process, after=at, then=killer(process, rng.uniform(0, 0.005)))
            assert seen.returncode == -signal.SIGKILL or seen.done, seen.stderr[-3000:]
            rows = stored(store_url, prefix)
            lost = seen.reached - set(rows)
            assert not lost, f"run {run}: {len(lost)} of {len(seen.reached)} lost, e.g. {sorted(lost)[:3]}"
            assert not rows or max(rows.values()) == 1, f"run {run}: duplicates"
            assert set(rows) <= {f"{prefix}-{i}" for i in range(CALLS)}
            reached += len(seen.reached)
            failed += len(seen.errors)
            rows_total += len(rows)
    assert rollup_gaps(store_url) == {}
    attempts = attempt_rows(store_url)
    assert attempts, "no call fell through to the backup: the faults were not met"
    print(f"{KILLS} kills: {reached} outcomes reached their callers ({failed} errors), {rows_total} rows "
          f"({rows_total - reached} more: committed, the process killed before it said so), "
          f"{attempts} attempt rows; {time.monotonic() - started:.1f} s")
