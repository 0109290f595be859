"""The benchmark code works: its server answers every format and its runner measures and reports.

A tiny run (a few calls of each kind) of ``bench/run.py``; nothing here asserts on a timing, which only
``nox -s bench`` measures. The store's and the budget admission's sections have their own tiny runs in
the store's suite (``test_real_bench.py``, ``test_budget_real_bench.py``); this one leaves them out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("openai", "anthropic", "gemini", "ollama")


def test_a_tiny_bench_run_measures_every_format_and_writes_its_report(tmp_path: Path) -> None:
    out, figures = tmp_path / "benchmarks.md", tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--subjects", "modelplex,httpx",
         "--formats", ",".join(FORMATS), "--store", "no", "--admission", "no", "--gateway", "yes",
         "--dashboard", "yes",
         "--out", str(out), "--json", str(figures)],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(figures.read_text())
    # The start-up rows twice: in this development environment, and as a user installs Modelplex (every
    # member from its wheel into a fresh environment, bench/installed.py), which the targets read.
    startup = {"modelplex+discovery", "modelplex+providers"}
    assert set(results["imports"]) == {"modelplex", "httpx", *startup, *(f"installed+{s}" for s in startup)}
    assert results["installed"].startswith("every workspace member from its wheel"), results["installed"]
    for subject in ("modelplex", "httpx"):
        for fmt in FORMATS:
            measured = results["calls"][f"{subject}/{fmt}"]
            sync_stream = {"stream_sync"} if subject == "modelplex" else set()
            kinds = {"latency", "latency_sync", "stream", "throughput", "memory", *sync_stream}
            assert set(measured) == kinds
            assert all(isinstance(v, dict) for v in measured.values()), measured
    report = out.read_text()
    assert report.strip() == done.stdout.strip()
    headings = ["## Import", "## Calls", "## Ratios", "## Targets (issue 7)"]
    # The gateway's section, required above (it fails the run rather than saying why it is absent): its
    # only run in the tests.
    headings += ["## The gateway beside LiteLLM's proxy (issue 17)", "## The dashboard (issue 18)"]
    assert "## The gateway beside LiteLLM's proxy (issue 17)\n\nNot measured" not in report
    # The dashboard's section, required too: every page answered, each timed once in a tiny run.
    dashboard = results["dashboard"]
    assert dashboard["rows"] == 1000 and len(dashboard["pages"]) == 9
    assert all(0 < fig["median_s"] <= fig["slowest_s"] for fig in dashboard["pages"].values())
    for heading in headings:
        assert heading in report
    assert all(f"| Modelplex | {fmt} |" in report for fmt in FORMATS)
    assert "A tiny run" in report
    assert "(as a user installs it; " in report  # the start-up targets' figure, beside the editable one
    assert "## Usage store" not in report  # left out, as asked
