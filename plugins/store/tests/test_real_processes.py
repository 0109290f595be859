"""Four processes writing to one store at once, on a real SQLite file and a real PostgreSQL server: every
call whose outcome reached its caller has exactly one row, and no other row exists.

Each process is ``loadgen.py`` (a real client, 100 calls in flight, a quarter of them streams) against a
loopback OpenAI-compatible server; the four start together on an empty database, so they also race to
create the schema (the migration lock). The rows are read back with plain SQL, not the store's code.
"""

from __future__ import annotations

from pathlib import Path

from loadgen import collect, launch, rollup_gaps, stored, write_config

from modelplex_testing.faults import FaultServer

PROCESSES = 4
CALLS = 500  # each


def test_four_processes_writing_to_one_store_lose_nothing_and_duplicate_nothing(
        store_url: str, tmp_path: Path) -> None:
    with FaultServer(["local"]) as server:
        config = write_config(tmp_path / "config.toml", server.url("local"), store_url)
        processes = [launch(config, tmp_path / f"data{i}", calls=CALLS, prefix=f"p{i}")
                     for i in range(PROCESSES)]
        seen = [collect(p) for p in processes]
    for i, run in enumerate(seen):
        assert run.returncode == 0 and run.done, run.stderr[-3000:]
        assert len(run.ok) == CALLS, (i, run.errors[:5], run.stderr[-3000:])
        rows = stored(store_url, f"p{i}")
        assert set(rows) == run.reached, (i, len(rows), len(run.reached))
        assert max(rows.values()) == 1, [m for m, n in rows.items() if n > 1][:5]
        assert run.stats == {"recorded": CALLS, "spooled": 0, "lost": 0}, run.stats
    assert rollup_gaps(store_url) == {}
