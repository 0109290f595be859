"""The usage store (modelplex-store) measured on SQLite and a real PostgreSQL, side by side, for issue 14.

    python bench/store.py                     # everything; prints a Markdown section (nox -s bench adds it)
    python bench/store.py --tiny              # a few calls and rows: proves the code runs, nothing more
    python bench/store.py --rows 200000 --out store.md --json store.json

What it measures, each in a fresh process:

- **Recording's cost per call**: 24 pairs of batches of 500 calls at 100 in flight, one batch of a pair
  recorded and the other not (the ``store=off`` tag), back to back in one process, into SQLite and
  PostgreSQL as the store records by default (calls journaled), and with calls waiting for their
  commits, or for a writer thread (see :data:`DATABASE_OF`); median and p99 per call, calls and CPU per
  call, and the median of the pairs' differences (the figure the machine's load moves least). Each
  database's figure is the median of its rounds. Target: recording adds under 5% to a call. Against the
  local server (``bench/server.py``), which answers at once, so the client's CPU is all a call's time
  (the worst case for the ratio); and against the same replies sent each of :data:`DELAYS_MS` late.
- **Rows per second one process sustains**: the recorder alone (no HTTP), 20,000 calls handed to it at
  once, until the last is committed.
- **At one million rows** (seeded in bulk through the schema: the rows, then their rollups through the
  store's own rollup code): a 30-day summary per model, a 24-hour summary per caller, a filtered ``logs``
  query (one model's errors of the last week) and a text search, through ``modelplex_store.open``;
  the median of five runs after one. Target: summaries under 200 ms.
- **Export** of every row as JSON lines and CSV: peak RSS of the exporting process, and its time.
  Target: under 100 MB.

PostgreSQL is a throwaway cluster (``modelplex_store.testing.postgres_server``) with ``fsync`` on, as a
real server would run; SQLite is in WAL mode with ``synchronous=NORMAL`` (the store's setting: a commit
survives the process being killed, not a power loss). The bench server and the clients are pinned to
different cores where there are two; PostgreSQL is not pinned.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import sections  # noqa: E402

SERVER_CPU, CLIENT_CPU = 0, 1
MODES = ("sqlite", "postgresql", "sqlite-commit", "postgresql-commit", "sqlite-thread", "sqlite-spare-core",
         "unrecorded", "known-cost")
#: The store URL each mode records into. ``sqlite`` and ``postgresql`` as the store records by default
#: (a writer process, calls returning once their rows are journaled); ``-commit``, calls returning once
#: their rows are committed (``durability = "commit"``); ``sqlite-thread``, the writer a thread of the
#: calling process (which always waits for the commit); ``unrecorded``, neither batch of a pair recorded
#: (an A/A comparison: what the pairing measures where nothing differs, the noise the others stand on);
#: ``known-cost``, neither recorded, the calls of one batch each spending :data:`KNOWN_COST_US` of CPU
#: more in a hook of their own (what the figures make of a cost known beforehand).
DATABASE_OF = {"sqlite": "sqlite", "postgresql": "postgresql", "sqlite-commit": "sqlite",
               "postgresql-commit": "postgresql", "sqlite-thread": "sqlite", "sqlite-spare-core": "sqlite",
               "unrecorded": "sqlite", "known-cost": "sqlite"}
#: The CPU the ``known-cost`` mode adds to each call of its "recorded" batches, µs: about what
#: recording's own steps take a call in place (``ProcessWriter.record``, 3-5 µs).
KNOWN_COST_US = 3.0
API_KEY = "sk-bench-0000000000000000"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mib() -> float:
    """This process's peak resident set size so far, in MiB. On Linux, ``VmHWM`` of its own memory map:
    ``ru_maxrss`` survives ``execve``, so a child started by a parent holding a million rows would
    report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


# -- the measured processes ----------------------------------------------------------------------------
#: Pairs of batches per process, recorded (``on``) and not (``off``) back to back, the first of a pair
#: alternating (off-on, on-off, ...), so that neither side is always the one that runs first; and the
#: calls of a batch. Many short pairs rather than a few long ones: this machine's speed changes from
#: one second to the next, and a pair of short batches runs within one phase of it. The A/A mode's
#: rounds spread -14.7…+12.9% and -7.6…+5.3% (two runs of five) with 6 pairs of 2,000 calls,
#: -3.8…+3.3% and -1.4…+11.3% with 24 pairs of 500: the same calls a process.
PAIRS, CALLS = 24, 500


def _figures(times: list[float], wall: float, cpu: float) -> dict[str, float]:
    return {"median_us": statistics.median(times) * 1e6, "p99_us": percentile(times, 0.99) * 1e6,
            "rps": len(times) / wall, "cpu_us": cpu / len(times) * 1e6}


async def calls_child(server: str, calls: int, in_flight: int, warmup: int, pairs: int) -> dict[str, Any]:
    """``pairs`` pairs of batches of ``calls`` chat calls, ``in_flight`` at once, each call timed, one
    batch of a pair recorded into the store the environment names and the other not (the ``store=off``
    tag): one process, so that the difference is recording's and not two processes' (their medians
    differ by more). Besides the pooled figures, each pair's difference (median per call, CPU per call):
    the machine's load at that moment weighs on both batches of a pair alike, and the median of the
    pairs' differences is the figure that load moves least.

    The heap is collected before each batch, untimed. A full collection of this process takes 10-30 ms
    here (its ~47,000 objects: the modules, mostly), and one came every two or three batches, in
    whichever batch the count of survivors happened to cross Python's threshold in: as often in recorded
    batches as in the others (9/9, 9/9, 7/11, 11/7, 9/9 in 24 of each, PostgreSQL, five processes), but
    a pause of that length moves its batch's median by 10-60%, and each pair with one by as much. With
    the debt cleared, a batch pays for the collections its own calls cause, counted per side
    (``collections``: a recording that made more objects survive would show there, and in the times);
    the pairs' interquartile range narrowed from 23 to 16 points, their standard deviation from 18 to
    13 (120 pairs each, PostgreSQL, five processes a way, one after the other)."""
    from modelplex_store.plugin import PLUGIN

    import modelplex
    from modelplex.hookspecs import hookimpl

    # Groq's plugin speaks OpenAI's Chat Completions, which the bench server answers; the store's test
    # environment (which runs a tiny bench) installs it, not the openai plugin.
    providers = {"groq": {"api_key": API_KEY, "base_url": f"{server}/v1"}}
    limiter = asyncio.Semaphore(in_flight)
    clock = time.perf_counter
    off = {"store": "off"}
    neither = os.environ.get("BENCH_NEITHER") == "1"  # the unrecorded mode: the "on" batches are not

    async def one(client: modelplex.AsyncClient, record: bool, times: list[float]) -> None:
        async with limiter:
            start = clock()
            response = await client.chat("groq/bench-1", "Hi", tags=None if record else off)
            times.append(clock() - start)
        assert response.text == "Hello", response.text

    writer_cpu: dict[str, float] = {"on": 0.0, "off": 0.0}
    database_used: dict[str, float] = {"on": 0.0, "off": 0.0}  # PostgreSQL's processes' CPU
    database = int(os.environ.get("BENCH_DATABASE_PID", "0")) or None
    collected: dict[str, list[int]] = {"on": [0, 0, 0], "off": [0, 0, 0]}
    known_cost = float(os.environ.get("BENCH_KNOWN_COST_US", "0")) / 1e6
    spending = [False]  # the known-cost mode: whether this batch's calls spend it
    spent = [0]  # the calls that did

    class KnownCost:
        """Spends ``known_cost`` seconds of CPU at the end of each call of the batches that do: where the
        store's hook records, and as it does, on the event loop in the call's last step."""

        @hookimpl
        def modelplex_after_call(self, call: Any, outcome: Any) -> None:
            if spending[0]:
                spent[0] += 1
                end = clock() + known_cost
                while clock() < end:
                    pass

    async def batch(client: modelplex.AsyncClient, record: bool, count: int,
                    spend: bool = False) -> tuple[list[float], float, float]:
        times: list[float] = []
        side = "on" if record else "off"
        writer = PLUGIN.recorder.writer_pid
        # Each batch starts with no collection owed (see the docstring); the collections its own calls
        # cause are counted, per generation and side.
        gc.collect()
        collections = [generation["collections"] for generation in gc.get_stats()]
        database_before = database_cpu(database)
        started, cpu, other = clock(), time.process_time(), process_cpu(writer)  # every thread's CPU
        spending[0] = spend
        await asyncio.gather(*(one(client, record, times) for _ in range(count)))
        wall, used = clock() - started, time.process_time() - cpu
        writer_cpu[side] += process_cpu(writer) - other
        database_used[side] += database_cpu(database) - database_before
        collected[side] = [before + generation["collections"] - at for before, generation, at
                           in zip(collected[side], gc.get_stats(), collections, strict=True)]
        return times, wall, used

    plugins = {"bench-known-cost": KnownCost()} if known_cost else None
    async with modelplex.AsyncClient(providers=providers, config_file=False, env={},
                                     plugins=plugins) as client:
        for record in (True, False):  # warm: the store opened and migrated, the connections made
            await batch(client, record, warmup)
        writer_cpu.update(on=0.0, off=0.0)
        database_used.update(on=0.0, off=0.0)
        collected.update(on=[0, 0, 0], off=[0, 0, 0])
        spare = os.environ.get("BENCH_WRITER_CPU")
        if spare is not None and hasattr(os, "sched_setaffinity"):  # sqlite-spare-core (see MODES)
            pin_process(PLUGIN.recorder.writer_pid, {int(spare)})
        else:
            unpin(PLUGIN.recorder.writer_pid)
        measured: dict[str, tuple[list[float], float, float]] = {"on": ([], 0.0, 0.0), "off": ([], 0.0, 0.0)}
        pairs_got: list[dict[str, float]] = []
        for n in range(pairs):
            got: dict[str, tuple[list[float], float, float]] = {}
            for side in (("off", "on") if n % 2 == 0 else ("on", "off")):
                got[side] = times, wall, cpu = await batch(client, side == "on" and not neither, calls,
                                                           spend=side == "on" and known_cost > 0)
                before = measured[side]
                measured[side] = (before[0] + times, before[1] + wall, before[2] + cpu)
            on, off_ = _figures(*got["on"]), _figures(*got["off"])
            pairs_got.append({"added": on["median_us"] / off_["median_us"] - 1,
                              "rps_added": on["rps"] / off_["rps"] - 1,
                              "added_us": on["median_us"] - off_["median_us"],
                              "cpu_added_us": on["cpu_us"] - off_["cpu_us"]})
    PLUGIN.recorder.flush(60.0)  # journaled calls return before their rows are committed
    stats = PLUGIN.recorder.stats()
    paired = {key: statistics.median(p[key] for p in pairs_got) for key in pairs_got[0]}
    return {"on": _figures(*measured["on"]), "off": _figures(*measured["off"]), "paired": paired,
            "recorded": stats.recorded, "spooled": stats.spooled, "lost": stats.lost,
            "writer_cpu_us": {side: cpu / (pairs * calls) * 1e6 for side, cpu in writer_cpu.items()},
            "database_cpu_us": ({side: cpu / (pairs * calls) * 1e6 for side, cpu in database_used.items()}
                                if database is not None else None),
            "collections": collected,
            "pairs_added": [p["added"] for p in pairs_got], "known_cost_calls": spent[0]}


def process_cpu(pid: int | None) -> float:
    """Seconds of CPU (user and system) process ``pid`` has used; 0 for none (or where ``/proc`` is not)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu(postmaster: int | None) -> float:
    """Seconds of CPU the PostgreSQL server whose postmaster is ``postmaster`` has used: the postmaster's
    own, its children's that ended (reaped by it: an autovacuum worker, a backend gone) and its live
    children's (the backends, the checkpointer, the WAL writer...); 0 for none."""
    if postmaster is None:
        return 0.0
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    except OSError:
        return 0.0
    ticks = sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(process_cpu(int(child)) for child in children)


def unpin(pid: int | None) -> None:
    """Let the writer process run on any core: it inherits the client's pinning, but is a process of its
    own, as PostgreSQL is (which the bench does not pin either)."""
    pin_process(pid, range(os.cpu_count() or 1))


def pin_process(pid: int | None, cpus: Iterable[int]) -> None:
    """Set the cores of every thread of process ``pid``.

    ``sched_setaffinity(pid)`` sets one thread's, the process's first: the writer process's threads (the
    one that writes to the database, the checkpointer) start on the client's core, and stay there,
    time-sliced with the client, unless each is moved. (Until 2026-12-02 only the first thread was: the
    recording tables before then measured the database's work on the client's core in every mode.)"""
    if pid is None or not hasattr(os, "sched_setaffinity"):
        return
    cpus = set(cpus)
    try:
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:  # no /proc: the process's first thread only
        threads = [pid]
    for tid in threads:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, cpus)


class DelayedServer:
    """``bench/server.py``'s replies, each sent ``delay_ms`` after its request came (as an upstream that
    takes that long to answer), in a process of its own: ``python bench/store.py serve --delay-ms N``."""

    def __init__(self, delay_ms: float, cpu: int | None) -> None:
        from run import start_server  # bench/run.py

        cmd = [sys.executable, str(Path(__file__).resolve()), "serve", "--delay-ms", str(delay_ms)]
        pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        self.proc, self.url = start_server(cmd, "the delayed bench server", pin)

    def stop(self) -> None:
        from run import stop_server  # bench/run.py

        stop_server(self.proc)


async def serve_delayed(delay_ms: float) -> None:
    """Serve ``bench/server.py``'s replies ``delay_ms`` late, until stdin closes."""
    import server as bench_server  # bench/server.py

    loop = asyncio.get_running_loop()
    delay = delay_ms / 1000

    class Late:
        """A transport whose writes go out ``delay`` later (in order: one request at a time per
        connection, and later writes are due later)."""

        def __init__(self, transport: asyncio.Transport) -> None:
            self.transport = transport

        def write(self, data: bytes) -> None:
            loop.call_later(delay, self._send, data)

        def _send(self, data: bytes) -> None:
            if not self.transport.is_closing():
                self.transport.write(data)

    class Protocol(bench_server.HTTPProtocol):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = Late(transport)

    replies = bench_server.Replies(16)
    listening = await loop.create_server(lambda: Protocol(replies), "127.0.0.1", 0, backlog=1024)
    print(f"PORT {listening.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(4096) else None)
    async with listening:
        await stop.wait()


async def rows_child(url: str, rows: int, data_dir: str) -> dict[str, Any]:
    """Hand ``rows`` calls to a recorder at once and time until the last is committed."""
    from modelplex_store.config import StoreConfig
    from modelplex_store.recorder import Recorder

    from modelplex import CallInfo, CallOutcome, ChatRequest, Usage

    recorder = Recorder(StoreConfig(url=url, data_dir=Path(data_dir)))
    request = ChatRequest(model="bench-1", messages=())
    usage = Usage(input=120, output=30)

    def call(i: int) -> tuple[CallInfo, CallOutcome]:
        info = CallInfo(kind="chat", address="openai/bench-1", provider="openai", model="bench-1",
                        request=request, tags={"message_id": f"m{i}"}, caller="bench", started=time.time())
        return info, CallOutcome(status="ok", provider="openai", model="bench-1", usage=usage,
                                 duration=0.0012)

    warm = recorder.record(*call(-1))  # opens and migrates the store, untimed
    if warm is not None:
        await warm
    recorder.flush(120)
    made = [call(i) for i in range(rows)]
    started = time.perf_counter()
    waiters = [recorder.record(info, outcome) for info, outcome in made]
    await asyncio.gather(*(w for w in waiters if w is not None))
    recorder.flush(600)  # journaled calls need no waiting: committed is when this returns
    seconds = time.perf_counter() - started
    stats = recorder.stats()
    recorder.close()
    return {"rows_per_s": rows / seconds, "seconds": seconds, "recorded": stats.recorded,
            "lost": stats.lost, "spooled": stats.spooled}


def export_child(url: str, fmt: str) -> dict[str, Any]:
    """Export every row to /dev/null; peak RSS before and after."""
    import modelplex_store

    with modelplex_store.open(url, migrate=False) as store:
        before = rss_mib()
        started = time.perf_counter()
        size = lines = 0
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for chunk in store.export(fmt):  # type: ignore[arg-type]
                sink.write(chunk)
                size += len(chunk)
                lines += chunk.count("\n")
        seconds = time.perf_counter() - started
    return {"peak_rss_mib": rss_mib(), "rss_before_mib": before, "seconds": seconds,
            "mib_written": size / 2**20, "lines": lines}


# -- seeding -------------------------------------------------------------------------------------------
PROVIDERS = {"openai": ("gpt-4o", "gpt-4o-mini", "o3-mini"), "anthropic": ("claude-sonnet-4", "claude-haiku"),
             "gemini": ("gemini-2.5-flash", "gemini-2.5-pro"), "groq": ("llama-3.3-70b", "qwen-32b"),
             "local": ("llama3.2", "mistral-small", "phi4")}
MODELS = [(p, m) for p, ms in PROVIDERS.items() for m in ms]
CALLERS = [f"service-{i}" for i in range(20)]
SPAN_DAYS = 60
HOUR_US = 3_600_000_000


def seeded_rows(count: int, now_us: int, seed: int = 14) -> Iterator[tuple[Any, ...]]:
    """``count`` plausible call rows over the last :data:`SPAN_DAYS` days, oldest first, in
    ``calls`` column order: a dozen models (one unpriced, local), 20 callers (a few busy), 5% errors,
    1% cancelled, a quarter streamed."""
    from modelplex_store.rows import uuid7
    from modelplex_store.schema import CALLS

    rng = random.Random(seed)
    names = CALLS.names
    start = now_us - SPAN_DAYS * 24 * HOUR_US
    step = SPAN_DAYS * 24 * HOUR_US / count
    caller_weights = [1 / (i + 1) for i in range(len(CALLERS))]
    for i in range(count):
        started = start + int(i * step)
        provider, model = MODELS[rng.randrange(len(MODELS))]
        kind = rng.choices(("chat", "stream", "embed"), (70, 25, 5))[0]
        roll = rng.random()
        status = "error" if roll < 0.05 else "cancelled" if roll < 0.06 else "ok"
        duration = int(rng.lognormvariate(13.3, 0.8))  # median about 600 ms
        input_tokens = int(rng.lognormvariate(6.5, 1.0))
        output = 0 if status == "error" or kind == "embed" else int(rng.lognormvariate(5, 1.0))
        priced = provider != "local" and status != "error"
        row = dict.fromkeys(names)
        row.update(
            id=uuid7(started), kind=kind, started_at=started, ended_at=started + duration,
            provider=provider, requested=f"{provider}/{model}", model=model,
            caller=rng.choices(CALLERS, caller_weights)[0], user_id=f"user{rng.randrange(500)}",
            conversation_id=f"conv{i // 6}", message_id=f"msg{i}",
            tags='{"team": "search"}' if i % 10 == 0 else None, status=status,
            error_class=rng.choice(("RateLimitError", "ServerError")) if status == "error" else None,
            status_code=rng.choice((429, 500)) if status == "error" else None,
            finish_reason="stop" if status == "ok" and kind != "embed" else None,
            stream=int(kind == "stream"), partial=int(status == "cancelled" and kind == "stream"),
            input=input_tokens, cache_read=input_tokens // 3 if i % 4 == 0 else 0, cache_write=0,
            cache_write_1h=0, output=output, reasoning=output // 2 if model == "o3-mini" else 0,
            usage_estimated=0, cost_nanos=(input_tokens * 150 + output * 600) if priced else None,
            cost_status="exact" if priced else "unknown", price_version="2026-11-01" if priced else None,
            duration_us=duration,
            ttft_us=duration // 4 if kind == "stream" and status != "error" else None)
        yield tuple(row[n] for n in names)


def seed(url: str, count: int, log: Callable[[str], None]) -> float:
    """Fill the empty store at ``url`` with ``count`` rows and their rollups; returns the seconds taken."""
    from modelplex_store import rollups
    from modelplex_store.db import connect
    from modelplex_store.migrations import migrate
    from modelplex_store.schema import CALLS

    started = time.perf_counter()
    db = connect(url)
    try:
        migrate(db)
        columns = ", ".join(CALLS.names)
        chunk: list[tuple[Any, ...]] = []
        done = 0

        def flush() -> None:
            with db.transaction():
                if db.dialect == "sqlite":
                    marks = ", ".join("?" * len(CALLS.names))
                    db.conn.executemany(f"INSERT INTO calls ({columns}) VALUES ({marks})", chunk)  # noqa: S608
                else:
                    copy_sql = f"COPY calls ({columns}) FROM STDIN"
                    with db.conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
                        for row in chunk:
                            copy.write_row(row)
                rollups.add(db, chunk)

        for row in seeded_rows(count, time.time_ns() // 1000):
            chunk.append(row)
            if len(chunk) == 50_000:
                flush()
                done += len(chunk)
                chunk = []
                log(f"  seeded {done:,} rows")
        if chunk:
            flush()
        db.execute("ANALYZE")
    finally:
        db.close()
    return time.perf_counter() - started


# -- the queries ---------------------------------------------------------------------------------------
QUERIES: dict[str, Callable[[Any], Any]] = {
    "usage by model, last 30 days": lambda s: s.usage(by="model", since="30d"),
    "usage by caller, last 24 hours": lambda s: s.usage(by="caller", since="24h"),
    "usage by day, last 30 days": lambda s: s.usage(by="day", since="30d"),
    "logs: one model's errors, last 7 days, 50 rows": lambda s: s.logs(50, model="openai/gpt-4o",
                                                                          status="error", since="7d"),
    "logs: 50 most recent of one caller": lambda s: s.logs(50, caller="service-7"),
    "logs: text search (`--search RateLimit`), 50 rows": lambda s: s.logs(50, search="ratelimit"),
    # Nothing matches: the search reads every row (no index serves LIKE '%...%'), the worst case.
    "logs: text search matching nothing, last 7 days": lambda s: s.logs(50, search="no-such-text",
                                                                         since="7d"),
}


def time_queries(url: str, runs: int) -> dict[str, dict[str, float]]:
    """Each query's median and slowest time (ms) over ``runs`` runs, after one untimed run."""
    import modelplex_store

    out = {}
    with modelplex_store.open(url, migrate=False) as store:
        for name, query in QUERIES.items():
            result = query(store)
            size = len(result.rows) if hasattr(result, "rows") else len(result)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                query(store)
                times.append((time.perf_counter() - started) * 1000)
            out[name] = {"median_ms": statistics.median(times), "max_ms": max(times), "rows": size}
    return out


# -- the runner ----------------------------------------------------------------------------------------
def child(args: list[str], env: dict[str, str], cpu: int | None, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT,
                          preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env.update(MODELPLEX_CONFIG=os.devnull, MODELPLEX_DATA_DIR=str(data_dir), PYTHONDONTWRITEBYTECODE="",
               MODELPLEX_DISABLE_PLUGINS="fake")
    return env


PARTS = ("recording", "rows", "million")


#: The upstream latencies of the other recording tables, ms: 20, about the shortest a hosted model
#: answers a tiny prompt in (a round trip to a nearby region and a few tokens from the fastest
#: providers), a call whose time is not all the client's CPU but which still keeps it busy at 100 in
#: flight; 200, a short call of a hosted model (most take longer), where the client's core keeps up.
DELAYS_MS = (20.0, 200.0)
#: The modes measured against the delayed upstreams.
DELAYED_MODES = ("sqlite", "postgresql")


def _calls_rounds(*, server_url: str, modes: Sequence[str], label: str, cpu: int | None, rounds: int,
                  calls: int, pairs: int, in_flight: int, warmup: int, urls: dict[str, str], work: Path,
                  log: Callable[[str], None], database_pid: int | None = None) -> dict[str, Any]:
    per_mode: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for n in range(rounds):
        for mode in modes:
            env = base_env(work / f"data-{mode}")
            env["MODELPLEX_STORE_URL"] = urls[DATABASE_OF[mode]]
            if DATABASE_OF[mode] == "postgresql" and database_pid is not None:
                env["BENCH_DATABASE_PID"] = str(database_pid)
            if mode.endswith("-commit"):
                env["MODELPLEX_STORE_DURABILITY"] = "commit"
            if mode == "sqlite-thread":  # the writer a thread of the calling process, as before
                env["MODELPLEX_STORE_WRITER"] = "thread"
            if mode == "sqlite-spare-core" and cpu is not None:  # the writer kept off the client's core
                env["BENCH_WRITER_CPU"] = str(SERVER_CPU)
            if mode in ("unrecorded", "known-cost"):
                env["BENCH_NEITHER"] = "1"
            if mode == "known-cost":
                env["BENCH_KNOWN_COST_US"] = str(KNOWN_COST_US)
            got = child(["calls", "--server", server_url, "--calls", str(calls), "--pairs", str(pairs),
                         "--in-flight", str(in_flight), "--warmup", str(warmup)], env, cpu, 900)
            expected = warmup + (0 if mode in ("unrecorded", "known-cost") else calls * pairs)
            if got["recorded"] != expected or got["lost"]:
                raise RuntimeError(f"{mode}: {got['recorded']} calls recorded of {expected}: {got}")
            got["added"] = got["paired"]["added"]
            per_mode[mode].append(got)
            on, off, paired = got["on"], got["off"], got["paired"]
            log(f"round {n + 1}, {label}: {mode}: median {on['median_us']:.0f} µs recorded, "
                f"{off['median_us']:.0f} µs not; paired {paired['added']:+.1%} "
                f"({paired['added_us']:+.0f} µs), CPU {paired['cpu_added_us']:+.0f} µs a call; "
                f"p99 {on['p99_us']:.0f} / {off['p99_us']:.0f} µs; {on['rps']:.0f} / {off['rps']:.0f} "
                f"calls/s; CPU {on['cpu_us']:.0f} / {off['cpu_us']:.0f} µs")
    out: dict[str, Any] = {}
    for mode, rounds_got in per_mode.items():
        ranked = sorted(rounds_got, key=lambda g: float(g["added"]))
        out[mode] = {**ranked[len(ranked) // 2], "rounds_added": [g["added"] for g in rounds_got],
                     # The CPU figures move by tens of µs from one process to the next: their own median.
                     "rps_added_median": statistics.median(g["paired"]["rps_added"] for g in rounds_got),
                     "cpu_added_median_us": statistics.median(g["paired"]["cpu_added_us"]
                                                              for g in rounds_got),
                     # Every pair of every round: the median of them all, a second reading of the rounds.
                     "pooled_added": statistics.median(a for g in rounds_got for a in g["pairs_added"]),
                     "collections_total": {side: [sum(g["collections"][side][i] for g in rounds_got)
                                                  for i in range(3)] for side in ("on", "off")}}
        if rounds_got[0].get("database_cpu_us") is not None:
            out[mode]["database_cpu_median_us"] = statistics.median(g["database_cpu_us"]["on"]
                                                                    for g in rounds_got)
    return out


def recording(*, pinned: bool, cpu: int | None, rounds: int, calls: int, pairs: int, in_flight: int,
              warmup: int, urls: dict[str, str], work: Path, log: Callable[[str], None],
              database_pid: int | None = None,
              delays_ms: Sequence[float] = DELAYS_MS,
              modes: Sequence[str] = MODES) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each mode's process (:func:`calls_child`), the modes in turn, ``rounds`` times, against the local
    server (it answers at once) and then against one that answers each of ``delays_ms`` late; per mode,
    the round whose paired difference is the median of the rounds'. Returns the modes' figures at zero
    latency, and those at each delay, by its text (``results["recording_delayed"]``). Against a slow
    upstream a batch takes ``calls / in_flight`` times the delay: past 100 ms, batches of half as many
    calls keep the run short."""
    from run import Server  # bench/run.py: the local LLM server

    common: dict[str, Any] = {"cpu": cpu, "rounds": rounds, "calls": calls, "pairs": pairs,
                              "in_flight": in_flight, "warmup": warmup, "urls": urls, "work": work,
                              "log": log, "database_pid": database_pid}
    server = Server(pinned)
    try:
        out = _calls_rounds(server_url=server.url, modes=[m for m in MODES if m in modes], label="0 ms",
                            **common)
    finally:
        server.stop()
    slow: dict[str, Any] = {}
    for delay_ms in delays_ms:
        delayed = DelayedServer(delay_ms, SERVER_CPU if pinned else None)
        try:
            slow[f"{delay_ms:g}"] = _calls_rounds(
                server_url=delayed.url, modes=[m for m in DELAYED_MODES if m in modes],
                label=f"{delay_ms:g} ms", **{**common, "calls": calls // 2 if delay_ms > 100 else calls})
        finally:
            delayed.stop()
    return out, slow


def million(*, url: str, mode: str, rows: int, tiny: bool, cpu: int | None, work: Path,
            log: Callable[[str], None]) -> dict[str, Any]:
    """Seed ``rows`` rows at ``url``, time the queries, measure the exports."""
    log(f"seeding {rows:,} rows into {mode}")
    out: dict[str, Any] = {"seed_s": seed(url, rows, log)}
    log(f"  {out['seed_s']:.0f} s")
    out["queries"] = time_queries(url, 1 if tiny else 5)
    for name, figure in out["queries"].items():
        log(f"{mode}: {name}: {figure['median_ms']:.1f} ms ({figure['rows']} rows)")
    out["export"] = {}
    for fmt in ("jsonl", "csv"):
        got = child(["export", "--url", url, "--format", fmt], base_env(work / "export"), cpu, 900)
        if got["lines"] < rows:
            raise RuntimeError(f"{mode} {fmt} export wrote {got['lines']} lines for {rows} rows")
        out["export"][fmt] = got
        log(f"{mode}: export {fmt}: peak RSS {got['peak_rss_mib']:.1f} MiB, {got['seconds']:.1f} s")
    return out


def measure_all(tiny: bool, rows: int, log: Callable[[str], None],
                parts: Sequence[str] = PARTS, rounds: int | None = None,
                calls: int | None = None, delays_ms: Sequence[float] = DELAYS_MS,
                modes: Sequence[str] = MODES) -> dict[str, Any]:
    """Every figure of ``parts``, as a dict (see :func:`report`)."""
    from modelplex_store.testing import find_postgres, postgres_server
    from run import machine  # bench/run.py

    rounds = rounds or (1 if tiny else 5)
    calls, in_flight, warmup = (calls or 50, 10, 10) if tiny else (calls or CALLS, 100, 200)
    pairs = 2 if tiny else PAIRS
    recorder_rows = 500 if tiny else 20_000
    pinned = (hasattr(os, "sched_getaffinity") and {SERVER_CPU, CLIENT_CPU} <= os.sched_getaffinity(0))
    cpu = CLIENT_CPU if pinned else None
    results: dict[str, Any] = {"machine": machine(), "pinned": pinned, "rounds": rounds, "tiny": tiny,
                               "delays_ms": list(delays_ms), "load": os.getloadavg()[0],
                               "calls": calls, "pairs": pairs, "in_flight": in_flight, "seeded_rows": rows}
    if find_postgres() is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql): the store bench "
                         "measures both databases")
    with tempfile.TemporaryDirectory(prefix="modelplex-store-bench-") as tmp, \
            postgres_server(fsync=True) as pg:
        work = Path(tmp)
        if "recording" in parts:
            urls = {"sqlite": f"sqlite:///{work / 'calls.db'}", "postgresql": pg.database("calls")}
            results["recording"], results["recording_delayed"] = recording(
                pinned=pinned, cpu=cpu, rounds=rounds, calls=calls, pairs=pairs, in_flight=in_flight,
                warmup=warmup, urls=urls, work=work, log=log, delays_ms=delays_ms, modes=modes,
                database_pid=int((pg.data / "postmaster.pid").read_text().split()[0]))
        if "rows" in parts:
            results["rows_per_s"] = {}
            for mode in ("sqlite", "postgresql"):
                url = f"sqlite:///{work / 'rows.db'}" if mode == "sqlite" else pg.database("rows")
                got = child(["rows", "--url", url, "--rows", str(recorder_rows), "--data-dir",
                             str(work / f"rows-{mode}")], base_env(work / f"rows-{mode}"), cpu, 600)
                if got["recorded"] != recorder_rows + 1:
                    raise RuntimeError(f"{mode}: the recorder wrote {got['recorded']} of {recorder_rows + 1}")
                results["rows_per_s"][mode] = got
                log(f"recorder alone, {mode}: {got['rows_per_s']:,.0f} rows/s")
        if "million" in parts:
            results["million"] = {}
            for mode in ("sqlite", "postgresql"):
                url = f"sqlite:///{work / 'million.db'}" if mode == "sqlite" else pg.database("million")
                results["million"][mode] = million(url=url, mode=mode, rows=rows, tiny=tiny, cpu=cpu,
                                                   work=work, log=log)
    return results


def _writer_cpu(mode: str, got: dict[str, Any]) -> str:
    if mode == "sqlite-thread":
        return "(in the client's)"
    if mode in ("unrecorded", "known-cost"):
        return "(none recorded)"
    spent = got.get("writer_cpu_us")
    return f"{spent['on']:,.0f}" if spent else "n/a"


def _database_cpu(mode: str, got: dict[str, Any]) -> str:
    if mode in ("unrecorded", "known-cost"):
        return "(none recorded)"
    if DATABASE_OF.get(mode) != "postgresql":
        return "(in the writer's)"  # SQLite is a library the writer runs
    spent = got.get("database_cpu_median_us")  # figures written before 2026-12-05 had none
    return "n/a" if spent is None else f"{spent:,.0f}"


def _collections(got: dict[str, Any]) -> str:
    total = got.get("collections_total")  # figures written before 2026-12-05 had none
    return "n/a" if total is None else f"{total['on'][2]} / {total['off'][2]}"


def _signed(share: float | None) -> str:
    return "n/a" if share is None else f"{share:+.1%}"  # figures written before 2026-12-04 had none


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(results: dict[str, Any]) -> str:
    """The Markdown section, with the figures of the parts measured."""
    pairs = results.get("pairs", 6)  # figures written before 2026-12-04 ran 6 pairs and did not say
    lines = ["## Usage store (issue 14)", "",
             f"`python bench/store.py`: {pairs} pairs of batches of {results['calls']:,} calls at "
             f"{results['in_flight']} in flight against the local server, recorded and not in turn in one "
             "process, into SQLite (WAL, `synchronous=NORMAL`) and into PostgreSQL (a local cluster, "
             "`fsync` on), as the store records by default and with calls waiting for their commits, each "
             "figure from the median of "
             f"{results['rounds']} rounds that go through the databases in turn; the recorder alone; then "
             f"{results['seeded_rows']:,} seeded rows per database. Machine: {results['machine']}"
             + (f"; load average {results['load']:.1f} when it started" if "load" in results else "")
             + ".", ""]
    if results.get("tiny"):
        lines += ["**A tiny run: these figures prove the code runs and mean nothing.**", ""]
    targets = []
    rec = results.get("recording")
    if rec:
        tables: list[tuple[str, Any, Sequence[str]]] = [
            ("0 ms (the local server answers at once)", rec, MODES)]
        for delay, figures in (results.get("recording_delayed") or {}).items():
            tables.append((f"{delay} ms (the upstream answers {delay} ms after the request)", figures,
                           DELAYED_MODES))
        for latency, figures, modes in tables:
            lines += [f"Upstream latency {latency}:", "",
                      "| recording into | median per call, µs: recorded / not | p99, µs: recorded / not "
                      "| calls/s: recorded / not | added (paired median) | of rounds "
                      "| added, every pair of every round (median) | added, µs (paired) "
                      "| CPU a call, µs: recorded / not | CPU added a call, µs (paired, median of rounds) "
                      "| calls/s, recorded against not (paired, median of rounds) "
                      "| writer process's CPU a recorded call, µs | PostgreSQL's CPU a recorded call, µs "
                      "| full collections in batches, all rounds: recorded / not |",
                      "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: "
                      "| ---: | ---: |"]
            for mode in [m for m in modes if m in figures]:  # the modes measured (--modes)
                got = figures[mode]
                on, off, paired = got["on"], got["off"], got["paired"]
                rounds = ", ".join(f"{a:+.1%}" for a in got["rounds_added"])
                pooled = f"{got['pooled_added']:+.1%}" if "pooled_added" in got else "n/a"
                lines.append(f"| {mode} | {on['median_us']:,.0f} / {off['median_us']:,.0f} "
                             f"| {on['p99_us']:,.0f} / {off['p99_us']:,.0f} "
                             f"| {on['rps']:,.0f} / {off['rps']:,.0f} | {got['added']:+.1%} | {rounds} "
                             f"| {pooled} "
                             f"| {paired['added_us']:+,.0f} | {on['cpu_us']:,.0f} / {off['cpu_us']:,.0f} "
                             f"| {got.get('cpu_added_median_us', paired['cpu_added_us']):+,.0f} "
                             f"| {_signed(got.get('rps_added_median'))} | {_writer_cpu(mode, got)} "
                             f"| {_database_cpu(mode, got)} | {_collections(got)} |")
                if mode in ("sqlite", "postgresql"):  # the store as it records by default
                    targets.append((f"recording ({mode}, upstream {latency.split(' (')[0]}) adds < 5% to a "
                                    f"call at {results['in_flight']} in flight (paired median)",
                                    f"{got['added']:+.1%}", got["added"] < 0.05))
            lines.append("")
        lines += [f"Each process runs {pairs} pairs of batches, one recorded and one not, "
                  "back to back (the first of a pair alternating; against an upstream slower than 100 ms, "
                  "batches of half as many calls); `added` is the median over the pairs of the recorded "
                  "batch's median per call against its partner's, so the machine's load at that moment "
                  "weighs on both alike, and the figure is the round's whose is the median of the rounds; "
                  "the column after the rounds takes the median of every pair of every round together. "
                  "`sqlite` and `postgresql` record as the store does by default: the client reads each "
                  "call's facts, copies them into its journal file (a memory map: durable against the "
                  "process being killed) and the call returns; a writer process builds the rows and "
                  "commits them a moment later. Like PostgreSQL, the writer process is not pinned (the "
                  "bench lets it run on any core), and its CPU is a column of its own (besides the "
                  "client's), as is PostgreSQL's (all its processes: the backends, the checkpointer, the "
                  "WAL writer, autovacuum) over the recorded batches. The heap is collected before each "
                  "batch, untimed, so that a full collection (10-30 ms here) lands in the batch whose calls "
                  "cause it rather than in whichever crosses Python's threshold; the last column counts "
                  "the full collections within the batches. "
                  "`-commit`: calls that return once their rows are committed (`durability = \"commit\"`). "
                  "`sqlite-thread`: the writer as a thread of the client (`writer = \"thread\"`), sharing "
                  "its core and GIL. "
                  "`sqlite-spare-core`: `sqlite` with the writer process pinned to the bench server's core, "
                  "off the client's: where a real deployment's upstream, on another machine, leaves the "
                  "second core, what recording costs the calling process itself. "
                  "`unrecorded`: the same pairs with neither batch recorded (the first batch of the warm-up "
                  "is, so a writer process runs, idle): what the pairing measures where nothing differs. "
                  "Its rounds are the noise the other rows stand on; a figure within their spread is "
                  "not a difference the bench can show. "
                  "`known-cost`: neither batch recorded, and each call of one batch spends "
                  f"{KNOWN_COST_US:g} µs of CPU more, in a hook at its end, where recording runs: what the "
                  "figures make of a cost known beforehand (against its share of a call's CPU, the CPU "
                  "column). The column before the writer's is the calls a second of each pair's batches "
                  "against each other: the mean time a call takes is the calls in flight over the calls a "
                  "second. "
                  "At 0 ms the client's CPU is all a call's time, the worst case for the ratio, and on a "
                  "machine of two cores the writer process's CPU is taken from the client or the server, "
                  f"both busy. At 20 ms a process keeping {results['in_flight']} calls in flight asks for "
                  f"{results['in_flight'] * 50:,} calls a second, and where its core makes fewer (the "
                  "calls/s column) it is still CPU-bound and the ratio still recording's share of the CPU. "
                  "At 200 ms its core keeps up.", ""]
    if results.get("rows_per_s"):
        lines += ["| the recorder alone (no HTTP) | rows/s one process sustains | µs a row |",
                  "| --- | ---: | ---: |"]
        for mode, got in results["rows_per_s"].items():
            lines.append(f"| {mode} | {got['rows_per_s']:,.0f} | {1e6 / got['rows_per_s']:,.0f} |")
        lines.append("")
    big = results.get("million")
    if big:
        modes = list(big)
        lines += [f"Queries over {results['seeded_rows']:,} rows (median of runs after one; ms):", "",
                  "| query | " + " | ".join(modes) + " |", "| --- |" + " ---: |" * len(modes)]
        for name in QUERIES:
            cells = [f"{big[m]['queries'][name]['median_ms']:,.1f}" for m in modes]
            lines.append(f"| {name} | {' | '.join(cells)} |")
        lines += ["", "Export of every row (peak RSS of the whole process; before: once the store is open, "
                  "before the first row):", "",
                  "| export | peak RSS, MiB | before, MiB | seconds | MiB written | seeding took, s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for mode in modes:
            for fmt, got in big[mode]["export"].items():
                lines.append(f"| {mode} {fmt} | {got['peak_rss_mib']:.1f} | {got['rss_before_mib']:.1f} "
                             f"| {got['seconds']:.1f} | {got['mib_written']:,.0f} "
                             f"| {big[mode]['seed_s']:.0f} |")
        lines.append("")
        summaries = [big[m]["queries"][q]["median_ms"] for m in modes for q in QUERIES
                     if q.startswith("usage")]
        peak = max(g["peak_rss_mib"] for m in modes for g in big[m]["export"].values())
        targets += [("summaries < 200 ms", f"slowest {max(summaries):,.1f} ms", max(summaries) < 200),
                    ("export < 100 MB (peak RSS of the whole process)", f"{peak:.1f} MiB",
                     peak * 2**20 < 100e6)]
    if targets:
        lines += ["| target | figures | met |", "| --- | --- | --- |"]
        lines += [f"| {name} | {shown} | {_yes(ok)} |" for name, shown, ok in targets]
        lines.append("")
    return "\n".join(lines)


def missing() -> str | None:
    """Why the store cannot be measured here, or ``None``."""
    import importlib.util

    if importlib.util.find_spec("modelplex_store") is None:
        return "modelplex-store is not installed"
    if importlib.util.find_spec("psycopg") is None:
        return "psycopg is not installed (pip install 'modelplex-store[postgresql]')"
    from modelplex_store.testing import find_postgres

    if find_postgres() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    return None


def section(tiny: bool, required: bool, log: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """For ``bench/run.py``: the figures and the Markdown section, or a line saying why there are none
    (an error instead when ``required``)."""
    return sections.section("store", "## Usage store (issue 14)", missing(), required, log,
                            lambda: measure_all(tiny, 2000 if tiny else 1_000_000, log), report)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve":
        delay = argparse.ArgumentParser()
        delay.add_argument("what")
        delay.add_argument("--delay-ms", type=float, default=DELAYS_MS[0])
        asyncio.run(serve_delayed(delay.parse_args(argv).delay_ms))
        return 0
    if argv and argv[0] in ("calls", "rows", "export"):
        parser = argparse.ArgumentParser()
        parser.add_argument("what")
        parser.add_argument("--server")
        parser.add_argument("--calls", type=int, default=CALLS)
        parser.add_argument("--pairs", type=int, default=PAIRS)
        parser.add_argument("--in-flight", type=int, default=100)
        parser.add_argument("--warmup", type=int, default=200)
        parser.add_argument("--url")
        parser.add_argument("--rows", type=int, default=20000)
        parser.add_argument("--data-dir")
        parser.add_argument("--format", default="jsonl")
        args = parser.parse_args(argv)
        if args.what == "calls":
            result = asyncio.run(calls_child(args.server, args.calls, args.in_flight, args.warmup,
                                             args.pairs))
        elif args.what == "rows":
            result = asyncio.run(rows_child(args.url, args.rows, args.data_dir))
        else:
            result = export_child(args.url, args.format)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a few calls and rows (for the test)")
    parser.add_argument("--rows", type=int, default=None, help="rows to seed (default 1,000,000)")
    parser.add_argument("--out", default=None, help="write the Markdown section here too")
    parser.add_argument("--json", default=None, help="write the raw figures here")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"some of {', '.join(PARTS)}")
    parser.add_argument("--rounds", type=int, default=None, help="processes per mode (default 5)")
    parser.add_argument("--calls", type=int, default=None, help=f"calls per batch (default {CALLS:,})")
    parser.add_argument("--delays-ms", default=",".join(f"{d:g}" for d in DELAYS_MS),
                        help="the delayed upstreams' latencies, comma-separated (default "
                             f"{','.join(f'{d:g}' for d in DELAYS_MS)}; empty: none)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"the recording part's databases: some of {', '.join(MODES)}")
    args = parser.parse_args(argv)
    parts = [p for p in args.parts.split(",") if p]
    if not set(parts) <= set(PARTS):
        parser.error(f"parts are {', '.join(PARTS)}")
    rows = args.rows or (2000 if args.tiny else 1_000_000)
    started = time.monotonic()
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        parser.error(f"modes are {', '.join(MODES)}")
    results = measure_all(args.tiny, rows, lambda m: print(m, file=sys.stderr, flush=True), parts,
                          args.rounds, args.calls,
                          [float(d) for d in args.delays_ms.split(",") if d], modes)
    text = report(results)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    print(f"\n(store bench took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
