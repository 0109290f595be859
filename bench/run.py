"""Modelplex side by side with raw HTTP clients and its peers, against a local server; every figure is
measured in a fresh process. Writes a Markdown report (``docs/benchmarks.md`` by default) and prints it.

    python bench/run.py                      # everything (nox -s bench)
    python bench/run.py --tiny --out x.md    # a few calls of each kind: proves the code works, nothing more
    python bench/run.py --subjects modelplex,httpx-aiohttp --formats openai
    python bench/run.py --gateway yes        # the gateway beside LiteLLM's proxy too (bench/gateway.py)

The server runs on one core and the clients on the other where the machine has two or more
(``os.sched_setaffinity``). Subjects whose library is not installed are left out, and said so.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from installed import remove, user_install  # noqa: E402
from subjects import DISCOVERY, FORMATS, IMPORTS, SUBJECTS  # noqa: E402

SERVER_CPU, CLIENT_CPU = 0, 1
# The transport Modelplex uses for its HTTP: the raw subject its call figures are compared with.
TRANSPORT = "modelplex-http"
# Environment for every measured process: no network for LiteLLM's model map, no telemetry.
QUIET_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False",
             "OPENAI_API_KEY": "sk-bench-0000000000000000", "PYTHONDONTWRITEBYTECODE": "",
             "MODELPLEX_CONFIG": os.devnull, "MODELPLEX_STORE": "off",  # the store: bench/store.py
             # The bench environment holds every workspace package; a user of the library with its
             # provider plugins has no OpenTelemetry plugin, and its cost is the otel package's to show.
             "MODELPLEX_DISABLE_PLUGINS": "otel"}


class Config:
    """How much of each measurement a run takes."""

    def __init__(self, tiny: bool) -> None:
        self.tiny = tiny
        self.import_runs = 1 if tiny else 9
        self.slow_import_runs = 1 if tiny else 3  # LiteLLM's import takes seconds
        self.startup_rounds = 1 if tiny else 27  # of the start-up rows (see startup_rounds)
        self.latency = ["--calls", "5", "--warmup", "1"] if tiny else ["--calls", "400", "--warmup", "50"]
        # A cost of a few µs read from pairs of calls that each jitter by tens: one round's median of 400
        # pairs moved by ±5-10 µs between rounds, 3,000 pairs by ±1.5.
        self.paired = self.latency if tiny else ["--calls", "3000", "--warmup", "100"]
        self.stream = (["--short", "2", "--long", "6", "--reps", "2"] if tiny
                       else ["--short", "10", "--long", "400", "--reps", "15"])
        self.throughput = (["--calls", "20", "--concurrency", "5"] if tiny
                           else ["--calls", "2000", "--concurrency", "100"])
        self.memory = ["--calls", "5" if tiny else "100"]
        self.timeout = 120 if tiny else 300
        self.rounds = 1 if tiny else 5  # the machines are shared: a figure moves 15-50% between rounds


def installed(subject: str) -> bool:
    return importlib.util.find_spec(SUBJECTS[subject][3]) is not None


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, {cores} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


# -- running ------------------------------------------------------------------------------------------
class Server:
    def __init__(self, pinned: bool) -> None:
        cmd = [sys.executable, str(HERE / "server.py"), "--chunks", "16"]
        if pinned:
            cmd += ["--cpu", str(SERVER_CPU)]
        self.proc, self.url = start_server(cmd, "the bench server")

    def stop(self) -> None:
        stop_server(self.proc)


def start_server(cmd: Sequence[str], what: str,
                 preexec_fn: Callable[[], Any] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start the server process ``cmd`` (it prints ``PORT n`` once listening, and ends when its stdin
    closes): the process and its URL. ``what`` names it when it does not start."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=preexec_fn)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        stop_server(proc)
        raise RuntimeError(f"{what} did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Stop a server :func:`start_server` started: close its stdin, kill it if it lingers."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(QUIET_ENV)
    return out


def on_cpu(cpu: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child process to ``cpu``."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def import_ms(statement: str, runs: int, bare: float, cpu: int | None,
              extra_env: dict[str, str] | None = None) -> float:
    """Median wall time of a fresh ``python -c statement``, less that of a bare interpreter, in ms."""
    return max(0.0, _wall(statement, runs, cpu, extra_env) - bare)


#: The start-up rows: what runs, and the environment it adds. Each is taken twice: in the workspace's
#: development environment (editable installs) and, as ``installed+...``, in one that holds Modelplex as
#: a user installs it (``bench/installed.py``); the targets read the second.
STARTUP = {"modelplex+discovery": (DISCOVERY, {}),
           "modelplex+providers": (DISCOVERY, {"MODELPLEX_DISABLE_PLUGINS": "fake,otel"})}
INSTALLED = "installed+"


def startup_rounds(rounds: int, cpu: int | None, installed: str | None = None) -> dict[str, list[float]]:
    """Each :data:`STARTUP` row's wall time less a bare interpreter's (of the same environment), in ms,
    once per round: every round runs each environment's bare interpreter and each statement in turn (after
    one untimed run of each). ``installed``: the interpreter of :func:`installed.user_install`'s
    environment, whose rows are named ``installed+<row>``."""
    pythons = {"": sys.executable, **({INSTALLED: installed} if installed else {})}
    subjects = {f"{prefix}{name}": (python, statement, extra) for prefix, python in pythons.items()
                for name, (statement, extra) in {"bare": ("pass", {}), **STARTUP}.items()}
    for python, statement, extra in subjects.values():
        _once(statement, cpu, extra, python)  # untimed: byte-code caches written, files in the page cache
    rows = [name for name in subjects if not name.endswith("bare")]
    out: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(rounds):
        times = {name: _once(statement, cpu, extra, python) for name, (python, statement, extra)
                 in subjects.items()}
        for name in rows:
            bare = f"{INSTALLED}bare" if name.startswith(INSTALLED) else "bare"
            out[name].append(max(0.0, times[name] - times[bare]))
    return out


def _once(statement: str, cpu: int | None, extra_env: dict[str, str] | None = None,
          python: str = sys.executable) -> float:
    """The wall time of one fresh ``python -c statement``, in ms."""
    start = time.perf_counter()
    subprocess.run([python, "-c", statement], check=True, env={**env(), **(extra_env or {})},
                   cwd=ROOT, preexec_fn=on_cpu(cpu))
    return (time.perf_counter() - start) * 1000


def _wall(statement: str, runs: int, cpu: int | None, extra_env: dict[str, str] | None = None) -> float:
    """The median wall time of ``runs`` fresh ``python -c statement``, in ms, after one untimed run."""
    _once(statement, cpu, extra_env)  # untimed: byte-code caches written, files in the page cache
    return statistics.median(_once(statement, cpu, extra_env) for _ in range(runs))


def measure(subject: str, fmt: str, what: str, url: str, extra: Sequence[str], pinned: bool,
            timeout: float) -> dict[str, Any] | str:
    cmd = [sys.executable, str(HERE / "measure.py"), subject, fmt, what, "--url", url, *extra]
    if pinned:
        cmd += ["--cpu", str(CLIENT_CPU)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env(), cwd=ROOT)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return f"failed: {tail[:200]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# What "best" means for each measurement: its figure, and whether less is better.
BEST = {"latency": ("median_us", min), "latency_sync": ("median_us", min), "stream": ("per_chunk_us", min),
        "stream_sync": ("per_chunk_us", min), "throughput": ("rps", max), "memory": ("peak_rss_mib", min)}


def best(what: str, got: list[dict[str, Any] | str]) -> dict[str, Any] | str:
    """The best of a measurement's rounds (with every round's figure beside it); a failure in any
    round is the result."""
    failed = [g for g in got if isinstance(g, str)]
    if failed:
        return failed[0]
    field, pick = BEST[what]
    figures = [g for g in got if isinstance(g, dict)]
    chosen = pick(figures, key=lambda g: g[field])
    out = {**chosen, "rounds": [g[field] for g in figures]}
    for key in ("overhead_us", "cpu_overhead_us"):
        if all(key in g for g in figures):
            # Not the chosen round's: picking the round where the call with the plugin was fastest
            # would pick the rounds where the noise favoured it. Every round's, and their median.
            out[key.replace("overhead_us", "overheads_us")] = [g[key] for g in figures]
            out[key] = statistics.median(g[key] for g in figures)
    return out


def sync_stream_plan(name: str, fmt: str, url: str, config: Config) -> list[tuple[str, list[str]]]:
    """The synchronous stream, for a subject that streams through a synchronous API (Modelplex)."""
    return [("stream_sync", config.stream)] if SUBJECTS[name][1](fmt, url).sync_stream else []


def run(subjects: list[str], formats: list[str], config: Config,
        log: Callable[[str], None]) -> dict[str, Any]:
    """Every figure: ``{"imports": {...}, "calls": {(subject, fmt): {measurement: result}}, ...}``."""
    pinned = (hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
              and {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0))
    results: dict[str, Any] = {"imports": {}, "calls": {}, "pinned": pinned, "machine": machine(),
                               "subjects": subjects, "formats": formats, "rounds": config.rounds}
    cpu = CLIENT_CPU if pinned else None
    bare = _wall("pass", config.import_runs, cpu)
    for name in subjects:
        if any(IMPORTS[other] == IMPORTS[name] for other in results["imports"]):
            continue  # modelplex-lifecycle: the same `import modelplex`, measured once
        runs = config.slow_import_runs if name == "litellm" else config.import_runs
        results["imports"][name] = import_ms(IMPORTS[name], runs, bare, cpu)
        log(f"import {name}: {results['imports'][name]:.0f} ms")
    if "modelplex" in subjects:
        # Every plugin, and the provider plugins alone (without the test kit's scripted `fake` provider and
        # the otel plugin). Three blocks run one after the other (bare, then each statement, nine runs
        # each) once read 86, 88, 96 ms for one and 94, 125, 121 ms for the other, on a machine whose
        # other figures were three times slower for those minutes: whatever the machine did then weighed
        # on one statement's runs only. Now every round runs the bare interpreter and both statements in
        # turn, and a figure is the median over the rounds of its run less that round's bare one.
        installed, how = user_install()
        results["installed"] = how if installed else f"not made: {how}"
        log(f"start-up as a user installs it: {results['installed']}")
        try:
            startup = startup_rounds(config.startup_rounds, cpu, installed)
        finally:
            if installed:
                remove(installed)
        for name, figures in startup.items():
            results["imports"][name] = statistics.median(figures)
            results.setdefault("import_rounds", {})[name] = figures
        for name, figures in startup.items():
            low, high = min(figures), max(figures)
            log(f"{name}: {results['imports'][name]:.0f} ms (rounds from {low:.0f} to {high:.0f})")
    if "modelplex" in subjects:
        results["estimate"] = estimate_figures(config, cpu)
        log(f"estimate: {results['estimate']}")
        results["cost"] = cost_figures(config, cpu)
        log(f"cost: {results['cost']}")
    server = Server(pinned)
    rounds: dict[tuple[str, str, str], list[dict[str, Any] | str]] = {}
    try:
        # Rounds go through every subject in turn, so that whatever else the machine is doing weighs on
        # all of them alike; each figure is the best of its rounds.
        for n in range(config.rounds):
            for fmt in formats:
                for name in subjects:
                    if fmt not in SUBJECTS[name][2]:
                        continue
                    subject = SUBJECTS[name][1](fmt, server.url)
                    # A cost read from paired calls takes more of them (Config.paired).
                    calls = config.paired if hasattr(subject, "call_plain") else config.latency
                    plan: list[tuple[str, list[str]]] = [("latency", calls)]
                    if subject.sync:
                        plan.append(("latency_sync", config.latency))
                    plan.append(("stream", config.stream))
                    plan += sync_stream_plan(name, fmt, server.url, config)
                    plan += [("throughput", config.throughput), ("memory", config.memory)]
                    only = SUBJECTS[name][1](fmt, server.url).only
                    plan = [step for step in plan if only is None or step[0] in only]
                    for what, extra in plan:
                        got = measure(name, fmt, what, server.url, extra, pinned, config.timeout)
                        rounds.setdefault((name, fmt, what), []).append(got)
                        log(f"round {n + 1}: {name} {fmt} {what}: {got}")
    finally:
        server.stop()
    for (name, fmt, what), got in rounds.items():
        results["calls"].setdefault(f"{name}/{fmt}", {})[what] = best(what, got)
    return results


# One model with an offline tokenizer (loaded by the first estimate), one without.
ESTIMATE_MODELS = ("openai/gpt-4o", "anthropic/claude-sonnet-4-5")


def estimate_figures(config: Config, cpu: int | None) -> dict[str, Any]:
    """``client.estimate`` (issue 13) by ``bench/estimate.py``, a fresh process a run: the first
    estimate's median over the runs, the warm one's best."""
    out: dict[str, Any] = {}
    for model in ESTIMATE_MODELS:
        runs = []
        for _ in range(config.import_runs):
            done = subprocess.run([sys.executable, str(HERE / "estimate.py"), model, "--warm",
                                   "20" if config.tiny else "2000"], capture_output=True, text=True,
                                  check=True, env=env(), cwd=ROOT, preexec_fn=on_cpu(cpu),
                                  timeout=config.timeout)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        out[model] = {"first_ms": statistics.median(r["first_ms"] for r in runs),
                      "warm_us": min(r["warm_us"] for r in runs), "exact": runs[0]["exact"],
                      "firsts_ms": [r["first_ms"] for r in runs]}
    return out


# One model priced from two buckets, one from three (the first price of a process reads the catalog).
COST_MODELS = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5")


def cost_figures(config: Config, cpu: int | None) -> dict[str, Any]:
    """Pricing a response (issue 13) by ``bench/cost.py``, a fresh process a run: the first price's
    median over the runs, a later one's best."""
    out: dict[str, Any] = {}
    for model in COST_MODELS:
        runs = []
        for _ in range(config.import_runs):
            done = subprocess.run([sys.executable, str(HERE / "cost.py"), model, "--warm",
                                   "200" if config.tiny else "20000"], capture_output=True, text=True,
                                  check=True, env=env(), cwd=ROOT, preexec_fn=on_cpu(cpu),
                                  timeout=config.timeout)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        out[model] = {"first_ms": statistics.median(r["first_ms"] for r in runs),
                      "warm_us": min(r["warm_us"] for r in runs), "firsts_ms": [r["first_ms"] for r in runs]}
    return out


# -- the report -----------------------------------------------------------------------------------------
def _fig(results: dict[str, Any], key: str, what: str, field: str) -> float | None:
    value = results["calls"].get(key, {}).get(what)
    return value.get(field) if isinstance(value, dict) else None


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


FIGURES = [  # (column, measurement, field, digits)
    ("async call, median µs", "latency", "median_us", 0),
    ("async call, p99 µs", "latency", "p99_us", 0),
    ("sync call, median µs", "latency_sync", "median_us", 0),
    ("sync call, p99 µs", "latency_sync", "p99_us", 0),
    ("streaming, µs per chunk", "stream", "per_chunk_us", 1),
    ("sync streaming, µs per chunk", "stream_sync", "per_chunk_us", 1),
    ("2,000 calls at 100 in flight, req/s", "throughput", "rps", 0),
    ("peak RSS after 100 calls, MiB", "memory", "peak_rss_mib", 1),
]


def sync_stream_target(results: dict[str, Any], fmt: str) -> tuple[str, str, bool | None]:
    """Issue 11: a synchronous stream costs at most 1.5 times the asynchronous one per chunk."""
    name = "sync stream per chunk ≤ 1.5 x async stream"
    mp = f"modelplex/{fmt}"
    sync = _fig(results, mp, "stream_sync", "per_chunk_us")
    async_ = _fig(results, mp, "stream", "per_chunk_us")
    if sync is None or async_ is None:
        return name, "not measured", None
    return name, f"{_n(sync, 1)} µs vs {_n(async_, 1)} µs ({_ratio(sync, async_)})", sync <= 1.5 * async_


def lifecycle_target(results: dict[str, Any], fmt: str) -> tuple[str, str, bool | None]:
    """Issue 11: one no-op plugin of the call lifecycle costs a call at most 5 µs. Calls with and
    without it are made in pairs, in turn, in one process; the cost is the median over the rounds of
    each round's median difference within a pair. The client's CPU time per call, paired the same way,
    is shown beside it: a second estimate of the same cost, free of the server's and the loopback's
    jitter, so that a reader can tell a real cost from a noisy round (the target is read on the first)."""
    name = "a call with one no-op lifecycle plugin ≤ the plain call + 5 µs (calls paired, one process)"
    cost = _fig(results, f"modelplex-lifecycle/{fmt}", "latency", "overhead_us")
    plain = _fig(results, f"modelplex-lifecycle/{fmt}", "latency", "plain_median_us")
    if cost is None or plain is None:
        return name, "not measured", None
    shown = f"{cost:+.1f} µs on a {_n(plain)} µs call"
    rounds = results["calls"].get(f"modelplex-lifecycle/{fmt}", {}).get("latency", {}).get("overheads_us")
    if rounds:  # the median of these is the figure; their spread is the noise it carries
        shown += f", its rounds {min(rounds):+.1f} to {max(rounds):+.1f}"
    cpu = _fig(results, f"modelplex-lifecycle/{fmt}", "latency", "cpu_overhead_us")
    cpu_plain = _fig(results, f"modelplex-lifecycle/{fmt}", "latency", "plain_cpu_median_us")
    if cpu is not None and cpu_plain is not None:
        shown += f" (its CPU time {cpu:+.1f} µs on {_n(cpu_plain)} µs)"
    return name, shown, cost <= 5


def targets(results: dict[str, Any], fmt: str) -> list[tuple[str, str, bool | None]]:
    """Each target of issue 7 for Modelplex on ``fmt``: (target, the figures, met?)."""
    out: list[tuple[str, str, bool | None]] = []
    mp, raw, httpx_ = f"modelplex/{fmt}", f"{TRANSPORT}/{fmt}", f"httpx/{fmt}"

    def check(name: str, value: float | None, limit: float | None, below: bool, shown: str) -> None:
        if value is None or limit is None:
            out.append((name, "not measured", None))
            return
        ok = value <= limit if below else value >= limit
        out.append((name, shown, ok))

    lat, lat_raw = _fig(results, mp, "latency", "median_us"), _fig(results, raw, "latency", "median_us")
    lat_httpx = _fig(results, httpx_, "latency", "median_us")
    check("async median ≤ 1.15 x raw transport", lat, lat_raw and 1.15 * lat_raw, True,
          f"{_n(lat)} µs vs {_n(lat_raw)} µs ({_ratio(lat, lat_raw)})")
    check("async median < raw httpx (default pool)", lat, lat_httpx, True,
          f"{_n(lat)} µs vs {_n(lat_httpx)} µs ({_ratio(lat, lat_httpx)})")
    st, st_raw = _fig(results, mp, "stream", "per_chunk_us"), _fig(results, raw, "stream", "per_chunk_us")
    check("stream per chunk ≤ 1.5 x raw transport", st, st_raw and 1.5 * st_raw, True,
          f"{_n(st, 1)} µs vs {_n(st_raw, 1)} µs ({_ratio(st, st_raw)})")
    out.append(sync_stream_target(results, fmt))
    out.append(lifecycle_target(results, fmt))
    rps, rps_raw = _fig(results, mp, "throughput", "rps"), _fig(results, raw, "throughput", "rps")
    for peer in ("litellm", "openai"):
        peer_rps = _fig(results, f"{peer}/openai", "throughput", "rps")
        check(f"throughput ≥ 5 x {SUBJECTS[peer][0]} (OpenAI format)", rps, peer_rps and 5 * peer_rps,
              False, f"{_n(rps)} vs {_n(peer_rps)} req/s ({_ratio(rps, peer_rps)})")
    check("throughput ≥ 0.8 x raw transport", rps, rps_raw and 0.8 * rps_raw, False,
          f"{_n(rps)} vs {_n(rps_raw)} req/s ({_ratio(rps, rps_raw)})")
    mem, mem_httpx = _fig(results, mp, "memory", "peak_rss_mib"), _fig(results, httpx_, "memory",
                                                                         "peak_rss_mib")
    check("peak RSS ≤ raw httpx + 15 MiB", mem, mem_httpx and mem_httpx + 15, True,
          f"{_n(mem, 1)} vs {_n(mem_httpx, 1)} MiB (+{_n(mem and mem_httpx and mem - mem_httpx, 1)})")
    return out


def report(results: dict[str, Any]) -> str:
    subjects, formats = results["subjects"], results["formats"]
    versions = {"modelplex": version("modelplex"), "httpx": version("httpx"),
                "httpx-aiohttp": version("httpx-aiohttp"), "aiohttp": version("aiohttp"),
                "openai": version("openai"), "litellm": version("litellm")}
    lines = ["# Benchmarks", "",
             "Written by `nox -s bench` (`python bench/run.py`); do not edit by hand. Every figure comes "
             "from a fresh process, against the local server in `bench/server.py` on 127.0.0.1 "
             + ("(server pinned to one core, clients to the other)." if results["pinned"]
                else "(not pinned: this machine has fewer than two cores available)."),
             "", f"- Machine: {results['machine']}",
             "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
             "- Each client makes the same request: one user message, a reply of one short text; a streamed "
             "reply sends that text once per chunk. Modelplex reaches OpenAI through Chat Completions "
             "(`api = \"chat_completions\"`), as the peers do; the openai SDK and LiteLLM speak the OpenAI "
             "format only.",
             "- Raw subjects do by hand what a careful user would: post the JSON, parse the reply, take "
             "the text out; a stream is read line by line (`aiter_lines`, aiohttp's line iterator) and "
             "each event parsed.",
             "- Modelplex gives each provider an httpx client on aiohttp's engine (httpx-aiohttp's transport "
             "with Modelplex's own request path, `modelplex/_http.py`). Its cost per call is measured "
             f"against that very client used by hand (`{TRANSPORT}`, *raw httpx on Modelplex's transport*); "
             "*raw httpx on aiohttp* is httpx-aiohttp as shipped. A whole (not streamed) reply is asked "
             "for with `ProviderContext.post_json`, which sends the same bytes through the transport's "
             "aiohttp session without httpx's per-request machinery: that is why Modelplex can be faster "
             "than the httpx client it is compared with. *Raw aiohttp* is the floor under both.",
             "- Import times are wall-clock times of a fresh `python -c ...`, less that of `python -c pass` "
             "(median of several runs, after one untimed run). The two start-up rows (every plugin, the "
             "provider plugins) are taken in rounds that each run a bare interpreter and both statements "
             "in turn; each is the median over the rounds of its time less that round's bare one (every "
             "round's figure in the JSON).",
             "- Calls: every measurement runs in rounds that go through all the subjects in turn (so that "
             f"whatever else the machine does weighs on all alike); each figure is the best of its "
             f"{results.get('rounds', 'several')} rounds "
             "(lowest time and memory, highest throughput), the same rule for every subject. `--json` "
             "keeps every round's figure. A cost read from pairs of calls (the lifecycle plugin's) is "
             "the median over the rounds of each round's median difference within its 3,000 pairs "
             "(which call of a pair goes first drawn at random, seeded), shown with the spread of its "
             "rounds.", ""]
    if results.get("tiny"):
        lines += ["**A tiny run (a few calls each): these figures prove the code runs and mean nothing.**",
                  ""]
    missing = [s for s in SUBJECTS if s not in subjects]
    if missing:
        lines += [f"Not measured (not installed or not asked for): {', '.join(missing)}.", ""]

    lines += ["## Import", "", "| what | ms over bare Python |", "| --- | ---: |"]
    for name, ms in results["imports"].items():
        row = name.removeprefix(INSTALLED)
        what = {"modelplex+discovery": "`import modelplex`, discovery of every installed plugin "
                                       "(the test kit's `fake` too), a client",
                "modelplex+providers": "`import modelplex`, discovery of the nine provider plugins, "
                                       "a client"}.get(row, f"`{IMPORTS.get(row)}`")
        if row in STARTUP:
            where = ("as a user installs it" if name.startswith(INSTALLED)
                     else "in the workspace's development environment (editable installs)")
            what = f"{what}: {where}"
        lines.append(f"| {what} | {_n(ms)} |")
    lines.append("")
    if any(name in STARTUP for name in results["imports"]):
        lines += [f"*As a user installs it*: {results.get('installed', 'not made')}, in a fresh virtual "
                  "environment (`bench/installed.py`), the development environment's versions of every "
                  "other package. The development environment adds each member's `src` folder to "
                  "`sys.path` and runs coverage.py's `.pth` file at start; a user's install does neither. "
                  "The start-up targets read the user's install.", ""]

    if results.get("estimate"):
        lines += ["## Estimate", "",
                  "`client.estimate` of a system and a 1 KB user message (`bench/estimate.py`): "
                  "the first of a fresh process, after import and a client (the plugin's catalog read, the "
                  "tokenizer loaded where there is one; median of the runs), and a warm one (median per "
                  "call, best run).", "", "| model | input count | first (ms) | warm (µs) |",
                  "| --- | --- | ---: | ---: |"]
        for model, fig in results["estimate"].items():
            how = "exact (tokenizer)" if fig["exact"] else "estimated (character rule)"
            lines.append(f"| `{model}` | {how} | {_n(fig['first_ms'])} | {_n(fig['warm_us'], 1)} |")
        lines.append("")

    if results.get("cost"):
        lines += ["## Cost", "",
                  "Pricing a response (`bench/cost.py`): the first of a fresh process, after import, a "
                  "client and plugin discovery (the catalog read, the model's entry merged with overrides; "
                  "median of the runs), and each later one of that model, what every call pays as the client "
                  "hands its response over (per response, best run).", "",
                  "| model | first (ms) | each call (µs) |",
                  "| --- | ---: | ---: |"]
        for model, fig in results["cost"].items():
            lines.append(f"| `{model}` | {_n(fig['first_ms'])} | {_n(fig['warm_us'], 1)} |")
        lines.append("")

    lines += ["## Calls", "", "| client | format | " + " | ".join(f[0] for f in FIGURES) + " |",
              "| --- | --- | " + " | ".join("---:" for _ in FIGURES) + " |"]
    for key, figures in results["calls"].items():
        name, fmt = key.split("/")
        cells = []
        for _col, what, field, digits in FIGURES:
            value = figures.get(what)
            if isinstance(value, str):
                cells.append(value)
            else:
                cells.append(_n(value.get(field) if value else None, digits))
        lines.append(f"| {SUBJECTS[name][0]} | {fmt} | " + " | ".join(cells) + " |")
    lines.append("")

    if "modelplex" in subjects:
        lines += ["## Ratios", "",
                  "Modelplex's figure divided by the other's (same format for raw clients; OpenAI format "
                  "for the openai SDK and LiteLLM). Below 1 is better for times and memory, above 1 for "
                  "throughput.", "",
                  "| format | compared with | " + " | ".join(f[0] for f in FIGURES) + " |",
                  "| --- | --- | " + " | ".join("---:" for _ in FIGURES) + " |"]
        for fmt in formats:
            mp = f"modelplex/{fmt}"
            if mp not in results["calls"]:
                continue
            for other in ("httpx", "httpx-aiohttp", TRANSPORT, "aiohttp", "openai", "litellm"):
                okey = f"{other}/openai" if other in ("openai", "litellm") else f"{other}/{fmt}"
                if okey not in results["calls"]:
                    continue
                cells = [_ratio(_fig(results, mp, what, field), _fig(results, okey, what, field))
                         for _col, what, field, _d in FIGURES]
                lines.append(f"| {fmt} | {SUBJECTS[other][0]} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += ["## Targets (issue 7)", "", "| format | target | figures | met |",
                  "| --- | --- | --- | --- |"]
        for key, what in (("modelplex+providers", "the provider plugins"),
                          ("modelplex+discovery", "every plugin, the test kit's `fake` too")):
            imp = results["imports"].get(INSTALLED + key)
            dev = results["imports"].get(key)
            if imp is None:  # no user's install could be made: the development environment's figure
                imp, shown = dev, f"{_n(dev)} ms (the development environment)"
            else:
                shown = f"{_n(imp)} ms (as a user installs it; {_n(dev)} ms editable)"
            met = "-" if imp is None else ("yes" if imp < 100 else "**no**")
            lines.append(f"| all | import + discovery of {what} + a client < 100 ms | {shown} | {met} |")
        for fmt in formats:
            if f"modelplex/{fmt}" not in results["calls"]:
                continue
            for name, shown, ok in targets(results, fmt):
                mark = "-" if ok is None else ("yes" if ok else "**no**")
                lines.append(f"| {fmt} | {name} | {shown} | {mark} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a few calls of each kind (for the test)")
    parser.add_argument("--subjects", default=",".join(SUBJECTS))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=None, help="also write the raw figures here")
    parser.add_argument("--store", choices=("auto", "yes", "no"), default="auto",
                        help="the usage store's figures (bench/store.py); auto: when it is installed")
    parser.add_argument("--admission", choices=("auto", "yes", "no"), default="auto",
                        help="budget admission's cost per call (bench/admission.py); auto: when it can run")
    parser.add_argument("--gateway", choices=("auto", "yes", "no"), default="auto",
                        help="the gateway beside LiteLLM's proxy (bench/gateway.py); auto: when it can run")
    parser.add_argument("--dashboard", choices=("auto", "yes", "no"), default="auto",
                        help="the dashboard's tabs over a million usage rows (bench/dashboard.py); "
                             "auto: when it can run")
    args = parser.parse_args(argv)
    asked = [s for s in args.subjects.split(",") if s]
    unknown = [s for s in asked if s not in SUBJECTS]
    if unknown:
        parser.error(f"unknown subjects: {', '.join(unknown)}")
    subjects = [s for s in asked if installed(s)]
    for s in asked:
        if s not in subjects:
            print(f"skipped {s}: {SUBJECTS[s][3]} is not installed", file=sys.stderr)
    formats = [f for f in args.formats.split(",") if f]
    if any(f not in FORMATS for f in formats):
        parser.error(f"formats are {', '.join(FORMATS)}")
    start = time.monotonic()
    results = run(subjects, formats, Config(args.tiny), lambda m: print(m, file=sys.stderr, flush=True))
    results["tiny"] = args.tiny
    text = report(results)
    if args.store != "no":
        import store

        results["store"], section = store.section(args.tiny, args.store == "yes",
                                                  lambda m: print(m, file=sys.stderr, flush=True))
        text += "\n" + section
    if args.admission != "no":
        import admission

        results["admission"], section = admission.section(args.tiny, args.admission == "yes",
                                                          lambda m: print(m, file=sys.stderr, flush=True))
        text += "\n" + section
    if args.gateway != "no":
        import gateway

        results["gateway"], section = gateway.section(args.tiny, args.gateway == "yes",
                                                      lambda m: print(m, file=sys.stderr, flush=True))
        text += "\n" + section
    if args.dashboard != "no":
        import dashboard

        results["dashboard"], section = dashboard.section(args.tiny, args.dashboard == "yes",
                                                          lambda m: print(m, file=sys.stderr, flush=True))
        text += "\n" + section
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    print(f"\n(bench took {time.monotonic() - start:.0f} s; written to {args.out})", file=sys.stderr)
    failed = [k for k, v in results["calls"].items() if any(isinstance(x, str) for x in v.values())]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
