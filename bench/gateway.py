"""The Modelplex gateway beside LiteLLM's proxy, in front of the same local server, for issue 17.

    python bench/gateway.py                    # everything; prints a Markdown section (nox -s bench adds it)
    python bench/gateway.py --tiny             # a few calls: proves the code runs, nothing more
    python bench/gateway.py --profile out.txt  # also py-spy's view of the gateway under load

The subjects get the same request, a whole (not streamed) Chat Completions call answered by
``bench/server.py``: *direct* (the load generator calls the local server itself); the *Modelplex gateway*
(``modelplex serve``, one process) with the usage log on (the store's default SQLite file, every row
counted after the run), without keys (one user on their machine) and with a virtual key, and with the
usage log off (``MODELPLEX_STORE=off``: what the log costs); and *LiteLLM's proxy* (``litellm --config``,
one worker, its master key, no database: LiteLLM's spend log needs PostgreSQL through Prisma, so it is
measured doing less than the gateway).

For each, in rounds that go through the subjects in turn: requests per second with 100 in flight, and the
latency of calls made one at a time (p50, p99); a proxy's *added* latency is its percentile less direct's.
The gateway's own ``x-modelplex-overhead-ms`` header is collected too, and each proxy's CPU time per
request (its process group's, from ``/proc``), which other work on a shared machine hardly moves. Each
figure is the best of its rounds, the same rule for every subject (the machines are shared).

The load generator is a separate process (aiohttp with keep-alive, uvloop where installed), pinned with the
local server to one core; the proxy under test has the other core to itself where there are two. Direct's
throughput is what the load generator and the server reach together: when it is well above a proxy's, the
load side is not what limits that proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sections

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
LOAD_CPU, PROXY_CPU = 0, 1  # the load generator and the local server on one core, the proxy on the other
#: The upstream's key, and LiteLLM's master key (it refuses to start without one, or with a weak one).
API_KEY = "sk-" + secrets.token_hex(32)
SUBJECTS = ("direct", "floor", "gateway", "gateway-key", "gateway-nolog", "litellm")
TITLES = {"direct": "direct (no proxy)", "floor": "floor: a bare Starlette app on the gateway's uvicorn",
          "gateway": "Modelplex gateway (no keys: local use)",
          "gateway-key": "Modelplex gateway, a virtual key",
          "gateway-nolog": "Modelplex gateway, usage log off",
          "litellm": "LiteLLM proxy (master key)"}
#: The gateway's subjects with the usage log on: the ones the targets are for.
LOGGED = ("gateway", "gateway-key")
#: What each subject is asked for: the model name as that subject addresses the local server's model.
MODELS = {"direct": "bench", "floor": "bench", "gateway": "openai/bench", "gateway-key": "openai/bench",
          "gateway-nolog": "openai/bench", "litellm": "bench"}
QUIET = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False", "LITELLM_LOG": "ERROR",
         "PYTHONDONTWRITEBYTECODE": ""}


class Plan:
    """How much a run measures."""

    def __init__(self, tiny: bool) -> None:
        self.tiny = tiny
        self.calls = 100 if tiny else 5000  # at 100 in flight (LiteLLM's proxy: a fifth, at ~50 req/s)
        self.concurrency = 10 if tiny else 100
        self.sequential = 20 if tiny else 1000  # one at a time
        self.warmup = 20 if tiny else 500
        self.rounds = 1 if tiny else 3
        self.timeout = 120 if tiny else 600


# -- processes ------------------------------------------------------------------------------------------
def pinned() -> bool:
    """Whether the load side and the proxy can have a core each."""
    return (hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
            and {LOAD_CPU, PROXY_CPU} <= os.sched_getaffinity(0))


def on_cpu(cpu: int) -> Callable[[], None] | None:
    return (lambda: os.sched_setaffinity(0, {cpu})) if pinned() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(url: str, proc: subprocess.Popen[Any], timeout: float) -> None:
    """Poll ``url`` until it answers 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode} before it served")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            if response.status == 200:  # (S310: a loopback URL of this run's)
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM the process group this bench started (a server may have children), then wait."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def upstream() -> Iterator[str]:
    """The local server (``bench/server.py``) on the load core; yields its base URL."""
    cmd = [sys.executable, str(HERE / "server.py"), "--chunks", "16"]
    if pinned():
        cmd += ["--cpu", str(LOAD_CPU)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    line = proc.stdout.readline()
    try:
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Proxy:
    """A proxy under test, started in its own process group on the proxy core."""

    def __init__(self, name: str, upstream_url: str, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir / name
        self.workdir.mkdir()
        environment = {**os.environ, **QUIET}
        self.key = API_KEY
        if name == "floor":
            cmd = [sys.executable, str(Path(__file__).resolve()), "--floor", str(self.port)]
            ready = f"{self.url}/health"
        elif name.startswith("gateway"):
            config = self.workdir / "modelplex.toml"
            config.write_text(f'[providers.openai]\nbase_url = "{upstream_url}/v1"\napi_key = "{API_KEY}"\n'
                              'api = "chat_completions"\n', encoding="utf-8")
            # The usage log on, as shipped: the store's default SQLite file, in a directory of this run's.
            environment.pop("MODELPLEX_STORE", None)
            environment.pop("MODELPLEX_STORE_URL", None)
            environment.update(MODELPLEX_CONFIG=str(config), MODELPLEX_DATA_DIR=str(self.workdir / "data"))
            if name == "gateway-nolog":
                environment["MODELPLEX_STORE"] = "off"
            if name == "gateway-key":
                made = subprocess.run([str(BIN / "modelplex"), "gateway", "keys", "create", "--name", "bench",
                                       "--json"], env=environment, capture_output=True, text=True, check=True,
                                      timeout=120)
                self.key = json.loads(made.stdout.strip().splitlines()[-1])["key"]
            cmd = [str(BIN / "modelplex"), "serve", "--port", str(self.port)]
            ready = f"{self.url}/health"
        else:
            config = self.workdir / "litellm.yaml"
            config.write_text(json.dumps({  # YAML is a superset of JSON
                "model_list": [{"model_name": "bench", "litellm_params": {
                    "model": "openai/bench", "api_base": f"{upstream_url}/v1", "api_key": API_KEY}}],
                "litellm_settings": {"telemetry": False}, "general_settings": {"master_key": API_KEY}}),
                encoding="utf-8")
            cmd = [str(BIN / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--port",
                   str(self.port), "--num_workers", "1"]
            ready = f"{self.url}/health/liveliness"
        self.log = (self.workdir / "server.log").open("w")
        self.proc = subprocess.Popen(cmd, env=environment, cwd=self.workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=on_cpu(PROXY_CPU))
        try:
            wait_ready(ready, self.proc, 180)
        except RuntimeError as exc:
            self.close()
            tail = (self.workdir / "server.log").read_text(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{exc}: " + " / ".join(tail)) from None

    def cpu_seconds(self) -> float:
        """CPU time (user and system) of every process of this proxy's group so far: what a request
        costs it, whatever else the machine is doing meanwhile."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rpartition(")")[2].split()
                if int(fields[2]) == self.proc.pid:  # the process group: fields 5 of stat, 3 after ")"
                    total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def close(self) -> None:
        stop(self.proc)
        self.log.close()

    def usage_rows(self) -> int | None:
        """The calls in the gateway's usage log (after :meth:`close`, which flushes it)."""
        path = self.workdir / "data" / "logs.db"
        if not path.exists():
            return None
        with contextlib.closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT count(*) FROM calls WHERE kind != 'attempt'").fetchone()
        return int(row[0])


# -- the floor ---------------------------------------------------------------------------------------------
def floor(port: int) -> None:
    """A bare Starlette app under the gateway's own uvicorn settings, answering the local server's reply
    without calling anything: what any Python server on the proxy core costs on this machine, which on a
    shared one is mostly the scheduler's (the gateway's added latency is read against it too)."""
    import uvicorn
    from modelplex_gateway.config import GatewayConfig
    from modelplex_gateway.server import uvicorn_options
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = json.dumps({"id": "chatcmpl-floor", "object": "chat.completion", "created": 1, "model": "bench",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()

    async def chat(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/health", health)])
    uvicorn.run(app, **uvicorn_options(GatewayConfig(port=port)))


# -- the load generator (its own process) -------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(url: str, model: str, key: str, calls: int, concurrency: int, warmup: int) -> dict[str, Any]:
    """``calls`` requests with ``concurrency`` in flight (after ``warmup`` untimed ones): requests per
    second, latency percentiles in ms, and the ``x-modelplex-overhead-ms`` headers' where there are any."""
    import aiohttp

    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hi"}]}).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    latencies: list[float] = []
    overheads: list[float] = []
    errors: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(timed: bool) -> None:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                data = await response.read()
                header = response.headers.get("x-modelplex-overhead-ms")
                status = response.status
            if status != 200 or json.loads(data)["choices"][0]["message"]["content"] != "Hello":
                errors[f"HTTP {status}: {data[:200]!r}"] += 1
                return
            if timed:
                latencies.append((time.perf_counter() - started) * 1000)
                if header is not None:
                    overheads.append(float(header))

        async def worker(todo: list[int], timed: bool) -> None:
            while todo:
                todo.pop()
                await one(timed)

        for timed, n in ((False, warmup), (True, calls)):
            todo = list(range(n))
            started = time.perf_counter()
            await asyncio.gather(*(worker(todo, timed) for _ in range(min(concurrency, max(n, 1)))))
            elapsed = time.perf_counter() - started
    out: dict[str, Any] = {"calls": calls, "concurrency": concurrency, "errors": sum(errors.values()),
                           "first_errors": list(errors)[:3], "rps": len(latencies) / elapsed}
    if latencies:
        out.update(p50_ms=percentile(latencies, 0.5), p99_ms=percentile(latencies, 0.99),
                   mean_ms=statistics.fmean(latencies))
    if overheads:
        out.update(overhead_p50_ms=percentile(overheads, 0.5), overhead_p99_ms=percentile(overheads, 0.99))
    return out


def run_load(url: str, model: str, calls: int, concurrency: int, warmup: int, timeout: float,
             key: str = API_KEY) -> dict[str, Any]:
    """:func:`load` in a fresh process on the load core."""
    spec = json.dumps({"url": url, "model": model, "key": key, "calls": calls,
                       "concurrency": concurrency, "warmup": warmup})
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--load", spec],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=on_cpu(LOAD_CPU),
                          cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests to {url}: {result['first_errors']}")
    return result


# -- profiling -----------------------------------------------------------------------------------------
def profile(proxy: Proxy, plan: Plan, out: Path, log: Callable[[str], None]) -> tuple[str, int]:
    """py-spy's samples of the gateway through one throughput run (threads holding the GIL only: where
    its CPU goes, not where its threads wait), as text; and the requests that run made."""
    raw = out.with_suffix(".folded")
    spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(proxy.proc.pid), "--rate", "500",
                            "--gil", "--format", "raw", "--output", str(raw), "--nonblocking"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    log(f"profiling {TITLES[proxy.name]} under load")
    try:
        run_load(f"{proxy.url}/v1/chat/completions", MODELS[proxy.name], plan.calls, plan.concurrency, 0,
                 plan.timeout, proxy.key)
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its samples out on SIGINT
        output = spy.communicate(timeout=120)[0]
    if not raw.exists():
        return f"py-spy failed: {output.strip()[-300:]}", plan.calls
    text = summarize(raw.read_text())
    out.write_text(text, encoding="utf-8")
    return text, plan.calls


def summarize(folded: str) -> str:
    """Shares of py-spy's folded stacks (``frame;frame;... count`` a line): self samples by package and
    by function, inclusive samples by function."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        packages[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return "no samples"
    lines = [f"{total} samples of the threads holding the GIL", "", "self %  package"]
    lines += [f"{100 * n / total:6.1f}  {p}" for p, n in packages.most_common(20)]
    lines += ["", "self %  function"]
    lines += [f"{100 * n / total:6.1f}  {f}" for f, n in own.most_common(30)]
    lines += ["", "incl %  function"]
    lines += [f"{100 * n / total:6.1f}  {f}" for f, n in inclusive.most_common(60)]
    return "\n".join(lines) + "\n"


def _package(frame: str) -> str:
    # py-spy names a frame "function (path/module.py:line)", the path relative to its sys.path entry.
    path = frame.rpartition("(")[2].rstrip(")").rsplit(":", 1)[0]
    first = Path(path).parts[0] if Path(path).parts else path
    return first.removesuffix(".py") or frame


# -- the run -------------------------------------------------------------------------------------------
def litellm_missing() -> str | None:
    """Why LiteLLM's proxy cannot run here, or None."""
    if not (BIN / "litellm").exists():
        return "litellm is not installed (the bench dependency group has litellm[proxy])"
    done = subprocess.run([sys.executable, "-c", "import litellm.proxy.proxy_server"], capture_output=True,
                          text=True, env={**os.environ, **QUIET}, timeout=180)
    if done.returncode != 0:
        return "litellm's proxy does not import: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
    return None


def measure_all(plan: Plan, subjects: list[str], profile_to: Path | None,
                log: Callable[[str], None]) -> dict[str, Any]:
    """Every subject's figures: ``{"subjects": {name: {"throughput": [...], "sequential": [...]}}, ...}``."""
    results: dict[str, Any] = {"pinned": pinned(), "tiny": plan.tiny, "rounds": plan.rounds,
                               "calls": plan.calls, "concurrency": plan.concurrency,
                               "sequential": plan.sequential, "subjects": {}, "skipped": {}}
    if "litellm" in subjects and (why := litellm_missing()) is not None:
        results["skipped"]["litellm"] = why
        subjects = [s for s in subjects if s != "litellm"]
        log(f"skipped LiteLLM's proxy: {why}")
    with tempfile.TemporaryDirectory(prefix="modelplex-bench-gateway-") as tmp, upstream() as up:
        proxies: dict[str, Proxy] = {}
        served: Counter[str] = Counter()
        try:
            for name in subjects:
                if name != "direct":
                    log(f"starting {TITLES[name]}")
                    proxies[name] = Proxy(name, up, Path(tmp))
            base = {name: proxies[name].url if name in proxies else up for name in subjects}
            log(f"started; measuring {plan.rounds} rounds")
            for n in range(plan.rounds):
                for name in subjects:
                    url = f"{base[name]}/v1/chat/completions"
                    figures = results["subjects"].setdefault(name, {"throughput": [], "sequential": []})
                    calls = plan.calls // 5 if name == "litellm" else plan.calls
                    key = proxies[name].key if name in proxies else API_KEY
                    cpu = proxies[name].cpu_seconds() if name in proxies else 0.0
                    got = run_load(url, MODELS[name], calls, plan.concurrency, plan.warmup, plan.timeout, key)
                    if name in proxies:
                        spent = proxies[name].cpu_seconds() - cpu
                        got["cpu_us_per_request"] = spent * 1e6 / (calls + plan.warmup)
                    figures["throughput"].append(got)
                    log(f"round {n + 1}: {name} at {plan.concurrency} in flight: {got}")
                    got = run_load(url, MODELS[name], plan.sequential, 1, plan.warmup // 10, plan.timeout,
                                   key)
                    figures["sequential"].append(got)
                    log(f"round {n + 1}: {name} one at a time: {got}")
                    served[name] += calls + plan.warmup + plan.sequential + plan.warmup // 10
            if profile_to is not None and "gateway" in proxies:
                results["profile"], made = profile(proxies["gateway"], plan, profile_to, log)
                served["gateway"] += made
        finally:
            for proxy in proxies.values():
                proxy.close()
        # Every request a gateway with the usage log on answered has its row (counted once it has shut
        # down, which waits for the log): the log was on, and kept up.
        results["usage_rows"] = {name: {"rows": proxies[name].usage_rows(), "requests": served[name]}
                                 for name in LOGGED if name in proxies}
        log(f"usage rows: {results['usage_rows']}")
    return results


def best(runs: list[dict[str, Any]], field: str, pick: Callable[..., float]) -> float | None:
    values = [r[field] for r in runs if field in r]
    return pick(values) if values else None


def summary(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each subject's best-of-rounds figures, and a proxy's added latency over direct."""
    out: dict[str, dict[str, float | None]] = {}
    for name, figures in results["subjects"].items():
        thr, seq = figures["throughput"], figures["sequential"]
        out[name] = {"rps": best(thr, "rps", max), "load_p50_ms": best(thr, "p50_ms", min),
                     "load_p99_ms": best(thr, "p99_ms", min), "p50_ms": best(seq, "p50_ms", min),
                     "p99_ms": best(seq, "p99_ms", min),
                     "overhead_p50_ms": best(seq, "overhead_p50_ms", min),
                     "overhead_p99_ms": best(seq, "overhead_p99_ms", min),
                     "load_overhead_p99_ms": best(thr, "overhead_p99_ms", min),
                     "cpu_us": best(thr, "cpu_us_per_request", min)}
    direct, bare = out.get("direct", {}), out.get("floor", {})
    for fig in out.values():
        for q in ("p50", "p99"):
            mine, least, lower = fig.get(f"{q}_ms"), direct.get(f"{q}_ms"), bare.get(f"{q}_ms")
            fig[f"added_{q}_ms"] = None if mine is None or least is None else mine - least
            fig[f"over_floor_{q}_ms"] = None if mine is None or lower is None else mine - lower
    return out


def _count(rows: int | None) -> str:
    return "no" if rows is None else f"{rows:,}"


def _n(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(results: dict[str, Any]) -> str:
    fig = summary(results)
    lines = ["## The gateway beside LiteLLM's proxy (issue 17)", "",
             "`bench/gateway.py`: the same whole Chat Completions request, answered by `bench/server.py`, "
             "sent directly, through the Modelplex gateway (`modelplex serve`, one process, the usage log on "
             "in its default SQLite file) and through LiteLLM's proxy (`litellm --config`, one worker, no "
             "database: its spend log needs PostgreSQL through Prisma, so LiteLLM records nothing here). "
             "The load generator is a separate process (aiohttp, keep-alive) "
             + ("pinned with the local server to one core, the proxy under test on the other. "
                if results["pinned"] else "(not pinned: fewer than two cores). ")
             + f"Throughput: {results['calls']:,} requests at {results['concurrency']} in flight (LiteLLM's "
             f"proxy: {results['calls'] // 5:,}, at its pace); latency: "
             f"{results['sequential']:,} requests one at a time, added latency being the proxy's percentile "
             f"less direct's. Best of {results['rounds']} rounds, alternating subjects. *Proxy CPU per "
             "request*: the proxy's processes' CPU time (user and system, `/proc`) over a throughput run "
             "and its warm-up, divided by its requests; unlike the times, it hardly moves when other work "
             "shares the machine. *Floor*: a bare Starlette app under the gateway's own uvicorn settings on "
             "the proxy core, answering the same reply without calling anything: what the machine (its "
             "scheduler, on a shared one) adds to any Python server; the gateway's p99 is also read against "
             "it.", ""]
    if results.get("tiny"):
        lines += ["**A tiny run: these figures prove the code runs and mean nothing.**", ""]
    for name, why in results.get("skipped", {}).items():
        lines += [f"Not measured: {TITLES[name]}: {why}.", ""]
    c = results["concurrency"]
    lines += [f"| subject | req/s at {c} in flight | p50 / p99 ms at {c} in flight "
              "| p50 / p99 ms one at a time | added p50 / p99 ms | x-modelplex-overhead-ms p50 / p99 "
              "| proxy CPU µs per request |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in SUBJECTS:
        if name not in fig:
            continue
        f = fig[name]
        added = "-" if name == "direct" else f"{_n(f['added_p50_ms'])} / {_n(f['added_p99_ms'])}"
        header = ("-" if f["overhead_p50_ms"] is None
                  else f"{_n(f['overhead_p50_ms'], 3)} / {_n(f['overhead_p99_ms'], 3)}")
        lines.append(f"| {TITLES[name]} | {_n(f['rps'], 0)} "
                     f"| {_n(f['load_p50_ms'])} / {_n(f['load_p99_ms'])} "
                     f"| {_n(f['p50_ms'])} / {_n(f['p99_ms'])} | {added} | {header} | {_n(f['cpu_us'], 0)} |")
    lines.append("")
    for name, counted in results.get("usage_rows", {}).items():
        lines.append(f"- {TITLES[name]}: its usage log holds {_count(counted['rows'])} call rows for the "
                     f"{counted['requests']:,} requests it answered (measured, warm-ups"
                     + (", profiling" if name == "gateway" and results.get("profile") else "") + ").")
    lines += ["", "| target | figures | met |", "| --- | --- | --- |"]

    def target(name: str, shown: str, ok: bool | None) -> None:
        lines.append(f"| {name} | {shown} | {'-' if ok is None else ('yes' if ok else '**no**')} |")

    peer = fig.get("litellm", {}).get("rps")
    for name in LOGGED:
        if name not in fig:
            continue
        rps, p99 = fig[name].get("rps"), fig[name].get("added_p99_ms")
        target(f"{TITLES[name]}: throughput ≥ 10 x LiteLLM's proxy",
               f"{_n(rps, 0)} vs {_n(peer, 0)} req/s" + (f" ({rps / peer:.1f}x)" if rps and peer else ""),
               None if not rps or not peer else rps >= 10 * peer)
        target(f"{TITLES[name]}: added p99 < 3 ms, usage log on", f"{_n(p99)} ms",
               None if p99 is None else p99 < 3)
        over = fig[name].get("over_floor_p99_ms")
        if over is not None:
            target(f"{TITLES[name]}: p99 over the floor's (a bare Starlette app: what this machine's "
                   "scheduler adds to any Python server) < 3 ms", f"{_n(over)} ms", over < 3)
    lines.append("")
    return "\n".join(lines)


def missing() -> str | None:
    """Why the gateway bench cannot run at all, or None."""
    if not (BIN / "modelplex").exists():
        return "the modelplex command is not installed"
    for module in ("modelplex_gateway", "modelplex_openai", "aiohttp"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        if done.returncode != 0:
            return f"{module} is not installed"
    return None


def section(tiny: bool, required: bool, log: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """For ``bench/run.py``: the figures and the Markdown section, or a line saying why there are none
    (an error instead when ``required``)."""
    def measured() -> dict[str, Any]:
        # A tiny run proves the code runs: LiteLLM's proxy, which takes most of a minute to start, is
        # left to the real one (and to ``python bench/gateway.py --tiny``).
        results = measure_all(Plan(tiny), [s for s in SUBJECTS if not (tiny and s == "litellm")], None, log)
        if tiny:
            results["skipped"]["litellm"] = "left out of a tiny run"
        return results

    return sections.section("gateway", "## The gateway beside LiteLLM's proxy (issue 17)", missing(),
                            required, log, measured, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a few calls: proves the code runs")
    parser.add_argument("--subjects", default=",".join(SUBJECTS))
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile the gateway under load with py-spy; its summary goes to this file")
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        floor(args.floor)
        return 0
    if args.load:
        spec = json.loads(args.load)
        try:
            import uvloop
        except ImportError:
            print(json.dumps(asyncio.run(load(**spec))))
        else:
            print(json.dumps(uvloop.run(load(**spec))))
        return 0
    subjects = [s for s in args.subjects.split(",") if s]
    if any(s not in SUBJECTS for s in subjects):
        parser.error(f"subjects are {', '.join(SUBJECTS)}")
    if (why := missing()) is not None:
        raise SystemExit(f"the gateway bench cannot run: {why}")
    results = measure_all(Plan(args.tiny), subjects, args.profile,
                          lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))
    if results.get("profile"):
        print(results["profile"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
