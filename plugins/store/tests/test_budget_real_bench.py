"""The admission bench's code works: a tiny run of ``bench/admission.py`` measures each budget kind (none,
SQLite, a real redis-server) and each budget counted every call the bench made (so that what it times is
admission, not a budget that was skipped). Nothing here asserts on a timing: ``nox -s bench`` measures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "admission.py"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed "
                                                                 "(apt-get install redis-server)")
@pytest.mark.skipif(not BENCH.exists(), reason="not in the Modelplex repository (no bench/admission.py)")
def test_a_tiny_admission_bench_times_every_budget_kind_and_each_counted_every_call(tmp_path: Path) -> None:
    figures = tmp_path / "admission.json"
    done = subprocess.run([sys.executable, str(BENCH), "--tiny", "--json", str(figures)],
                          capture_output=True, text=True, timeout=300, cwd=BENCH.parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    assert set(results) == {"none", "sqlite", "redis"}
    for mode, fig in results.items():
        assert fig["made"] > 0 and fig["counted"] == fig["made"], (mode, fig)
        assert fig["median_us"] > 0 and fig["calls_per_s"] > 0 and fig["calls"] == 40
    assert done.stdout.startswith("## Budget admission (issue 15)")
    assert "| one, Redis ledger |" in done.stdout
