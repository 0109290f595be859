"""How fast each dashboard tab answers over one million seeded usage rows (issue 18: every tab under a
second), measured here and not in the browser tests, which only check what the tabs show.

    python bench/dashboard.py            # prints a Markdown section (nox -s bench adds it)
    python bench/dashboard.py --tiny     # a thousand rows, one answer a page: proves the code runs

The world is the browser tests' own (``plugins/gateway/tests/ui/dashboard_world.py``): the gateway under
uvicorn on 127.0.0.1 in front of loopback upstreams, with the store seeded by the store bench's seeder.
Each page is asked for once (the first request of a process imports the tab's code), then
:data:`ANSWERS` times; the table gives the median and the slowest. The local models tab is measured
without an Ollama server running (the page says so); its search and list answer from a local server
the browser tests start.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sections

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UI_TESTS = ROOT / "plugins" / "gateway" / "tests" / "ui"
ROWS, TINY_ROWS = 1_000_000, 1_000
ANSWERS = 7
TARGET_S = 1.0
PAGES = ("/ui/providers", "/ui/models", "/ui/chains", "/ui/usage", "/ui/usage?since=90d&by=model",
         "/ui/usage?provider=openai&status=error", "/ui/conversations", "/ui/conversations/new",
         "/ui/ollama")


def missing() -> str | None:
    """Why the dashboard cannot be measured here, or ``None``."""
    needed = (("modelplex_gateway", "modelplex-gateway"), ("modelplex_store", "modelplex-store"),
              ("uvicorn", "uvicorn"), ("httpx", "httpx"))
    for module, package in needed:
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    if not (UI_TESTS / "dashboard_world.py").exists():
        return f"{UI_TESTS / 'dashboard_world.py'} is missing"
    return None


def measure(tiny: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Seed a store, serve the dashboard over it, time every page."""
    import httpx

    sys.path[:0] = [str(UI_TESTS), str(UI_TESTS.parent)]  # dashboard_world, gateway_server
    from dashboard_world import build_world, seed_store, store_url_in

    rows = TINY_ROWS if tiny else ROWS
    answers = 1 if tiny else ANSWERS
    base = Path(tempfile.mkdtemp(prefix="modelplex-dashboard-bench-"))
    try:
        log(f"dashboard: seeding {rows:,} usage rows")
        seeded = seed_store(store_url_in(base), rows)
        pages: dict[str, dict[str, float]] = {}
        with build_world(base, seeded=True) as world, httpx.Client(base_url=world.url, timeout=60) as http:
            for path in PAGES:
                first = http.get(path)
                if first.status_code != 200:
                    raise RuntimeError(f"{path} answered {first.status_code}: {first.text[:300]}")
                times = []
                for _ in range(answers):
                    started = time.perf_counter()
                    http.get(path).raise_for_status()
                    times.append(time.perf_counter() - started)
                pages[path] = {"median_s": statistics.median(times), "slowest_s": max(times)}
        return {"rows": rows, "seeding_s": seeded, "answers": answers, "pages": pages}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def report(results: dict[str, Any]) -> str:
    """The Markdown section."""
    pages = results["pages"]
    lines = ["## The dashboard (issue 18)", "",
             "`python bench/dashboard.py`: the browser tests' world (the gateway under uvicorn on "
             f"127.0.0.1, loopback upstreams) over a store seeded with {results['rows']:,} usage rows "
             f"(seeding took {results['seeding_s']:.0f} s); each page asked for once, then "
             f"{results['answers']} times over one connection. Milliseconds.", "",
             "| page | median | slowest |", "| --- | ---: | ---: |"]
    for path, fig in pages.items():
        lines.append(f"| `{path}` | {fig['median_s'] * 1000:.0f} | {fig['slowest_s'] * 1000:.0f} |")
    slowest = max(pages.items(), key=lambda kv: kv[1]["slowest_s"])
    met = "yes" if slowest[1]["slowest_s"] < TARGET_S else "**no**"
    lines += ["", "| target | figures | met |", "| --- | --- | --- |",
              f"| every tab answers in under a second over {results['rows']:,} usage rows (slowest answer) | "
              f"{slowest[1]['slowest_s'] * 1000:.0f} ms (`{slowest[0]}`) | {met} |", ""]
    return "\n".join(lines)


def section(tiny: bool, required: bool, log: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """For ``bench/run.py``: the figures and the Markdown section, or a line saying why there are none
    (an error instead when ``required``)."""
    return sections.section("dashboard", "## The dashboard (issue 18)", missing(), required, log,
                            lambda: measure(tiny, log), report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a thousand rows, one answer a page")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args(argv)
    results, text = section(args.tiny, True, lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
