"""What budget admission costs per call (issue 15): no budget, one budget in a SQLite file, one budget in a
real redis-server, side by side, against the local bench server (``bench/server.py``).

    python bench/admission.py                 # prints a Markdown section (nox -s bench adds it)
    python bench/admission.py --tiny          # a few calls: proves the code runs, nothing more

One measuring process holds three clients (the groq plugin, OpenAI's wire format, at the bench server),
the same but for the budget plugin: none, :class:`~modelplex_store.budgets.BudgetPlugin` with a SQLite
ledger, and with a Redis ledger. Batches of each take turns (A B C C B A, so that a drift of the shared
machine falls on all three alike). Two loads: one call at a time (the latency a budget adds to a call:
a reservation before it and a settlement after it, each a transaction or a Lua script), and 100 in flight
(calls per second: on SQLite, every reservation of every process waits for the database's write lock).
The budget is never reached (a limit of a million dollars): what is measured is admission's bookkeeping.
The bench server runs on one core and the client on the other where the machine has two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sections

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER_CPU, CLIENT_CPU = 0, 1
MODES = ("none", "sqlite", "redis")
API_KEY = "sk-bench-0000000000000000"
MODELS = '[models."groq/bench-1"]\nmax_output = 64\nprices = { input = "1", output = "2" }\n'


async def measure(server: str, ledgers: dict[str, str], config: Path, calls: int, rounds: int,
                  in_flight: int) -> dict[str, Any]:
    """The child's work: per mode, the calls' times one at a time and calls per second at ``in_flight``."""
    from modelplex_groq.plugin import PLUGIN as GROQ
    from modelplex_store.budgets import Budget, BudgetPlugin
    from modelplex_store.budgets.ledger import Counter

    import modelplex

    budget = Budget(name="bench", limit="1000000", window="total")
    plugins: dict[str, BudgetPlugin | None] = {"none": None}
    plugins.update({mode: BudgetPlugin([budget], ledger=url) for mode, url in ledgers.items()})
    clients = {}
    for mode, plugin in plugins.items():
        chosen: dict[str, object] = {"groq": GROQ}
        if plugin is not None:
            chosen["budgets"] = plugin
        clients[mode] = modelplex.AsyncClient(plugins=chosen, autoload=False, config_file=config, env={},
                                              providers={"groq": {"api_key": API_KEY, "base_url": server}})
    clock = time.perf_counter
    latency: dict[str, list[float]] = {m: [] for m in plugins}
    rates: dict[str, list[float]] = {m: [] for m in plugins}
    made = dict.fromkeys(plugins, 0)

    async def one(mode: str, times: list[float] | None) -> None:
        start = clock()
        response = await clients[mode].chat("groq/bench-1", "Hi")
        made[mode] += 1
        if times is not None:
            times.append(clock() - start)
        assert response.text == "Hello", response.text

    async def sequential(mode: str, n: int, keep: bool) -> None:
        for _ in range(n):
            await one(mode, latency[mode] if keep else None)

    async def concurrent(mode: str, n: int) -> None:
        limiter = asyncio.Semaphore(in_flight)

        async def limited() -> None:
            async with limiter:
                await one(mode, None)

        started = clock()
        await asyncio.gather(*(limited() for _ in range(n)))
        rates[mode].append(n / (clock() - started))

    order = [*plugins, *reversed(list(plugins))]
    for mode in plugins:  # warm: connections made, the ledger's tables created
        await sequential(mode, 20, keep=False)
        await concurrent(mode, in_flight)
        rates[mode].clear()
    for _ in range(rounds):
        for mode in order:
            await sequential(mode, calls // (2 * rounds), keep=True)
        for mode in order:
            await concurrent(mode, calls // rounds)
    for client in clients.values():
        await client.aclose()
    out: dict[str, Any] = {}
    everything = Counter(budget="bench", subject="", window_start=0, window_end=None, limit=0)
    for mode, plugin in plugins.items():
        counted = made[mode]  # no budget: nothing to count, every call made
        if plugin is not None:  # the budget saw every call: admission was not skipped
            (state,) = await plugin.admitter.ledger.states([everything], int(time.time() * 1e6))
            counted = state.calls
            await plugin.aclose()
        out[mode] = {"made": made[mode], "counted": counted}
    for mode in plugins:
        times = sorted(latency[mode])
        out[mode] |= {"median_us": statistics.median(times) * 1e6,
                     "p99_us": times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6,
                     "calls_per_s": statistics.median(rates[mode]), "calls": len(times)}
    return out


def missing() -> str | None:
    """Why admission cannot be measured here, or ``None``."""
    import importlib.util

    for module, package in (("modelplex_store", "modelplex-store"), ("modelplex_groq", "modelplex-groq"),
                            ("redis", "redis")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


def _pin(cpu: int) -> Callable[[], None] | None:
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def measure_all(tiny: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Start the bench server and a redis-server, run the measuring process, stop them."""
    from modelplex_testing.services import RedisServer

    work = Path(tempfile.mkdtemp(prefix="modelplex-admission-"))
    server = subprocess.Popen([sys.executable, str(HERE / "server.py"), "--port", "0"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, preexec_fn=_pin(SERVER_CPU))
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        config = work / "models.toml"
        config.write_text(MODELS, encoding="utf-8")
        with RedisServer() as redis:
            spec = {"server": f"http://127.0.0.1:{port}/v1", "config": str(config),
                    "ledgers": {"sqlite": f"sqlite:///{work / 'ledger.db'}", "redis": redis.url},
                    "calls": 40 if tiny else 4000, "rounds": 1 if tiny else 5,
                    "in_flight": 10 if tiny else 100}
            env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
            env.update(MODELPLEX_CONFIG=os.devnull, MODELPLEX_DATA_DIR=str(work / "data"),
                       MODELPLEX_STORE="off")
            log(f"admission: {spec['calls']} calls per mode")
            command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
                                  preexec_fn=_pin(CLIENT_CPU))
        if done.returncode != 0:
            raise RuntimeError(f"the admission bench failed: {done.stderr.strip()[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        wrong = {m: f for m, f in result.items() if f["counted"] != f["made"]}
        if wrong:
            raise RuntimeError(f"a budget did not count every call: {wrong}")
        return result
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict[str, Any]) -> str:
    """The Markdown section."""
    base = results["none"]
    lines = ["## Budget admission (issue 15)", "",
             "What a budget adds to each call (`bench/admission.py`): one client without budgets, one with a "
             "budget in a SQLite file, one with a budget in a local redis-server, in one process, in turn; "
             "against the local bench server. One call at a time: median and p99 latency; 100 in flight: "
             "calls per second. The budget is never reached: this is the reservation and the settlement.", "",
             "| Budget | Median per call | Added | p99 | Calls/s at 100 in flight |", "|---|---|---|---|---|"]
    names = {"none": "none", "sqlite": "one, SQLite ledger", "redis": "one, Redis ledger"}
    for mode in MODES:
        fig = results[mode]
        added = "" if mode == "none" else f"{fig['median_us'] - base['median_us']:+.0f} µs"
        lines.append(f"| {names[mode]} | {fig['median_us']:.0f} µs | {added} | {fig['p99_us']:.0f} µs | "
                     f"{fig['calls_per_s']:.0f} |")
    return "\n".join(lines) + "\n"


def section(tiny: bool, required: bool, log: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """For ``bench/run.py``: the figures and the Markdown section, or a line saying why there are none
    (an error instead when ``required``)."""
    return sections.section("admission", "## Budget admission (issue 15)", missing(), required, log,
                            lambda: measure_all(tiny, log), report)


def main(argv: list[str] | None = None) -> int:
    """``--child SPEC``: the measuring process; else measure and print the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a few calls: proves the code runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = asyncio.run(measure(spec["server"], spec["ledgers"], Path(spec["config"]), spec["calls"],
                                     spec["rounds"], spec["in_flight"]))
        print(json.dumps(result))
        return 0
    results, text = section(args.tiny, True, lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
