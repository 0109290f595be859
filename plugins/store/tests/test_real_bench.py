"""The store's benchmark code works: a tiny run of ``bench/store.py`` measures every part on SQLite and a
real PostgreSQL and writes its report. Nothing here asserts on a timing, which only ``nox -s bench``
measures; the counts are checked (every call recorded, every row exported) by the bench itself, and
here again from its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from modelplex_store.testing import PostgresServer, find_postgres

BENCH = Path(__file__).resolve().parents[3] / "bench" / "store.py"


@pytest.mark.skipif(find_postgres() is None, reason="PostgreSQL is not installed (apt-get install "
                                                     "postgresql)")
@pytest.mark.skipif(not BENCH.exists(), reason="not in the Modelplex repository (bench/store.py is absent)")
def test_a_tiny_store_bench_measures_every_part_on_both_databases(tmp_path: Path) -> None:
    out, figures = tmp_path / "store.md", tmp_path / "store.json"
    done = subprocess.run([sys.executable, str(BENCH), "--tiny", "--out", str(out), "--json", str(figures)],
                          capture_output=True, text=True, timeout=300, cwd=BENCH.parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    recording = results["recording"]
    assert set(recording) == {"sqlite", "postgresql", "sqlite-commit", "postgresql-commit", "sqlite-thread",
                              "sqlite-spare-core", "unrecorded", "known-cost"}
    # The A/A mode: only the warm-up's first batch (10 calls) recorded, neither batch of a pair.
    assert recording["unrecorded"]["recorded"] == 10 and recording["sqlite"]["recorded"] == 10 + 2 * 50
    # The known cost: nothing recorded either, and spent by every call of one batch of each pair alone.
    assert recording["known-cost"]["recorded"] == 10 and recording["known-cost"]["known_cost_calls"] == 2 * 50
    assert {r["known_cost_calls"] for m, r in recording.items() if m != "known-cost"} == {0}
    # Two pairs a process in a tiny run, each pair's difference kept, and every round's pairs pooled.
    assert results["pairs"] == 2 and all(len(r["pairs_added"]) == 2 for r in recording.values())
    assert all(isinstance(r["pooled_added"], float) for r in recording.values())
    # The writer process's own CPU, measured beside the client's (a writer thread's is in the client's).
    assert recording["sqlite"]["writer_cpu_us"]["on"] >= 0 and "writer_cpu_us" in recording["sqlite-thread"]
    # PostgreSQL's processes' CPU where they record into it (SQLite's is the writer's), and the full
    # collections within each side's batches.
    assert {m for m, r in recording.items() if r["database_cpu_us"] is not None} == {"postgresql",
                                                                                     "postgresql-commit"}
    assert all(r["database_cpu_median_us"] >= 0 for m, r in recording.items() if m.startswith("postgresql"))
    assert all(len(r["collections_total"][side]) == 3 for r in recording.values() for side in ("on", "off"))
    delayed = results["recording_delayed"]
    assert set(delayed) == {"20", "200"}  # ms
    assert all(set(by_mode) == {"sqlite", "postgresql"} for by_mode in delayed.values())
    for figures in (*recording.values(), *(f for by_mode in delayed.values() for f in by_mode.values())):
        assert all(figures[side]["median_us"] > 0 and figures[side]["rps"] > 0 for side in ("on", "off"))
    assert {m: r["recorded"] for m, r in results["rows_per_s"].items()} == {"sqlite": 501, "postgresql": 501}
    for mode in ("sqlite", "postgresql"):
        big = results["million"][mode]
        assert all(q["rows"] > 0 for name, q in big["queries"].items() if name.startswith("usage")), big
        assert {fmt: e["lines"] for fmt, e in big["export"].items()} == {"jsonl": 2000, "csv": 2001}
    report = out.read_text()
    assert report.strip() == done.stdout.strip()
    assert report.startswith("## Usage store (issue 14)")
    assert "A tiny run" in report
    assert "| unrecorded |" in report and "(none recorded)" in report and "| known-cost |" in report
    assert "2 pairs of batches of 50 calls" in report and "every pair of every round" in report


@pytest.mark.skipif(not BENCH.exists(), reason="not in the Modelplex repository (bench/store.py is absent)")
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_bench_counts_the_cpu_of_a_postgresql_backend_and_of_one_that_ended(
        postgres: PostgresServer, pg_url: str) -> None:
    """``database_cpu`` sums the postmaster's processes: a backend's work shows while it runs and still
    shows once it has ended (the postmaster reaped it)."""
    import psycopg

    sys.path.insert(0, str(BENCH.parent))
    try:
        import store  # bench/store.py
    finally:
        sys.path.remove(str(BENCH.parent))
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    before = store.database_cpu(postmaster)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        backend = Path(f"/proc/{row[0]}")
        conn.execute("SELECT count(*) FROM generate_series(1, 3000000)").fetchone()
        during = store.database_cpu(postmaster)
    assert during - before >= 0.05  # a few hundred ms of one backend's CPU, counted live
    deadline = time.monotonic() + 10
    while backend.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the backend's exit, then its parent's reaping
    assert not backend.exists()
    # Its CPU kept once it ended, in the postmaster's count of its children's (a tick of rounding).
    assert store.database_cpu(postmaster) >= during - 0.02
    assert store.database_cpu(None) == 0.0
