"""A client process under a budget, for the many-process budget proofs (``test_budget_real_*.py``).

    python budget_load.py SPEC.json

The process opens one client (the groq plugin at the spec's loopback ``base_url``, a
:class:`~modelplex_store.budgets.BudgetPlugin` on the spec's ledger, the usage store when the spec names
one, and a listener of ``modelplex_budget_alert``), says ``ready``, then reads commands on stdin::

    go <first> <n>      make calls first..first+n-1 at once (at most ``in_flight`` in flight, each
                        slot then kept ``hold`` seconds), while reading further commands
    stop                the calls of the batches not started yet are not made
    (end of input)      close the client and say ``done``

and writes one line per event on stdout, unbuffered (a SIGKILL loses no line already written)::

    ready
    ok <i>                     call i got its response (``ok <i> cancel-ignored``: its caller had
                               cancelled it at its start, and it went on)
    error <i> <Class>          call i failed with that Modelplex error (BudgetExceeded, ServerError...)
    cancelled <i>              call i was cancelled by its caller (the spec's ``timeout`` ran out)
    alert <budget> <threshold> <window_start> <spent>    this process fired that alert
    batch <first>              every call of that batch ended
    done

The clock is ``time.time`` or, with ``clock_file``, the number that file holds (the parent moves it: one
fake clock for every process). Call i's prompt is ``prompt`` or, with ``distinct``, ``prompt`` and i (a
fault-injecting server then decides its fault by it). With ``timeout``, a call not answered by then is
cancelled; with ``cancel_early`` N, every Nth call is cancelled by its caller as soon as it has started
(before anything can be sent).

The rest of the module is the parent's side: :func:`write_models`, :func:`worst`, :class:`Child`,
:class:`RedisProcess` (a redis-server the test can SIGKILL and bring back on the same port) and
:func:`ledger_totals` (spent and reserved read with plain SQL or Redis commands, not the ledger's code).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

#: The API key the children's clients use (key-shaped: the store's scrubbing would catch it).
KEY = "gsk_S3cretTestKey0123456789abcdefghijklmnopqrstuv"
PROMPT = "What is the capital of France?"
MAX = 100
MODELS = """
[models."groq/cheap"]
max_output = 1000
prices = { input = "1", output = "2" }
"""


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


# -- the child's side -------------------------------------------------------------------------------------
def _clock(spec: dict[str, Any]) -> Callable[[], float]:
    path = spec.get("clock_file")
    if not path:
        return time.time
    file = Path(path)
    return lambda: float(file.read_text())


async def _run(spec: dict[str, Any]) -> None:
    import modelplex_store.budgets.alerts as alerts_module
    from modelplex_groq.plugin import PLUGIN as GROQ
    from modelplex_store.budgets import Budget, BudgetAlert, BudgetPlugin

    import modelplex
    from modelplex.errors import ModelplexError
    from modelplex.hookspecs import hookimpl

    alerts_module.CLI = False

    class Listener:
        @hookimpl
        def modelplex_budget_alert(self, alert: BudgetAlert) -> None:
            _say(f"alert {alert.budget} {alert.threshold} {alert.window_start:.0f} {alert.spent}")

    budgets = [Budget(**b) for b in spec["budgets"]]
    plugin = BudgetPlugin(budgets, ledger=spec["ledger"], lease=spec.get("lease"), clock=_clock(spec))
    plugins: dict[str, object] = {"groq": GROQ, "budgets": plugin, "notify": Listener()}
    if spec.get("store"):
        from modelplex_store.config import StoreConfig
        from modelplex_store.plugin import StorePlugin
        from modelplex_store.recorder import Recorder

        plugins["store"] = StorePlugin(Recorder(StoreConfig(url=spec["store"],
                                                            data_dir=Path(spec["data_dir"]))))
    limiter = asyncio.Semaphore(spec.get("in_flight", 1000))
    timeout = spec.get("timeout")
    tags = spec.get("tags", {})

    hold = spec.get("hold", 0.0)
    early = spec.get("cancel_early", 0)
    stopping = asyncio.Event()

    async def one(client: modelplex.AsyncClient, i: int) -> None:
        prompt = f"{spec.get('prompt', PROMPT)} #{i}" if spec.get("distinct") else spec.get("prompt", PROMPT)
        async with limiter:
            if stopping.is_set():
                return
            try:
                call = client.chat(spec.get("model", "groq/cheap"), prompt,
                                   max_tokens=spec.get("max_tokens", MAX), tags=tags)
                if early and i % early == 0:  # cancelled by its caller before anything could be sent
                    task = asyncio.ensure_future(call)
                    await asyncio.sleep(0)
                    task.cancel()
                    try:
                        await task
                    except asyncio.CancelledError:
                        _say(f"cancelled {i}")
                    else:
                        _say(f"ok {i} cancel-ignored")
                    return
                await (asyncio.wait_for(call, timeout) if timeout else call)
            except TimeoutError:
                _say(f"cancelled {i}")
            except ModelplexError as exc:
                _say(f"error {i} {type(exc).__name__}")
            else:
                _say(f"ok {i}")
            if hold:  # a slot stays taken a while: the calls spread over time
                await asyncio.sleep(hold)

    async def batch(client: modelplex.AsyncClient, first: int, n: int) -> None:
        await asyncio.gather(*(one(client, i) for i in range(first, first + n)))
        _say(f"batch {first}")

    loop = asyncio.get_running_loop()
    async with modelplex.AsyncClient(plugins=plugins, autoload=False, config_file=Path(spec["config"]),
                                     env={}, routing={"retries": 0},
                                     providers={"groq": {"api_key": KEY, "base_url": spec["base_url"]}}
                                     ) as client:
        _say("ready")
        running = []
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            word, *args = line.split()
            if word == "go":
                running.append(asyncio.create_task(batch(client, int(args[0]), int(args[1]))))
            elif word == "stop":
                stopping.set()
        await asyncio.gather(*running)
    await plugin.aclose()
    _say("done")


def main() -> None:
    """Read the spec named on the command line and run."""
    spec = json.loads(Path(sys.argv[1]).read_text())
    asyncio.run(_run(spec))


# -- the parent's side ------------------------------------------------------------------------------------
HERE = Path(__file__).resolve()


def write_models(path: Path) -> Path:
    """The config file of the children: the one priced model ``groq/cheap``."""
    path.write_text(MODELS, encoding="utf-8")
    return path


async def worst(config: Path, prompt: str = PROMPT) -> tuple[int, Decimal]:
    """The worst case of one call of ``prompt`` to ``groq/cheap``: its input tokens and its cost."""
    from modelplex_groq.plugin import PLUGIN as GROQ

    import modelplex

    async with modelplex.AsyncClient(plugins={"groq": GROQ}, autoload=False, config_file=config, env={},
                                     providers={"groq": {"api_key": KEY}}) as c:
        estimate = await c.estimate("groq/cheap", prompt, max_tokens=MAX)
    assert estimate.cost.total is not None
    return estimate.input_tokens, estimate.cost.total


class Child:
    """A budget_load process: its lines, each with the ``time.time()`` it was read at."""

    def __init__(self, spec: dict[str, Any], directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        spec = {"data_dir": str(directory / "data"), **spec}
        path = directory / f"{name}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
        env.update(MODELPLEX_CONFIG=str(directory / "none.toml"), MODELPLEX_DATA_DIR=str(directory / "data"))
        self.name = name
        self.process = subprocess.Popen([sys.executable, str(HERE), str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: list[tuple[float, str]] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode().strip()
            self.lines.append((time.time(), line))
            self._new.put(line)
        self._new.put("")  # end of output

    def _read_err(self) -> None:
        assert self.process.stderr is not None
        self._stderr = self.process.stderr.read()

    @property
    def stderr(self) -> str:
        """What the process wrote on stderr (its tail once it ended)."""
        return self._stderr.decode(errors="replace")[-3000:]

    def wait_for(self, word: str, timeout: float = 120.0) -> None:
        """Wait for a line starting with ``word``; fail with the process's stderr if it ends first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._new.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"{self.name}: no '{word}' within {timeout} s: {self.stderr}") from None
            if line.startswith(word):
                return
            if line == "" and self.process.poll() is not None:
                self.process.wait()
                time.sleep(0.1)
                raise AssertionError(f"{self.name} ended before '{word}': {self.stderr}")

    def send(self, line: str) -> None:
        """Write one command to the process's stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def finish(self, timeout: float = 60.0) -> int:
        """Close stdin, wait for the process to end; its return code."""
        assert self.process.stdin is not None
        if not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"{self.name} did not end within {timeout} s: {self.stderr}") from None

    def kill(self) -> None:
        """SIGKILL the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def outcomes(self, since: float = 0.0, until: float = float("inf")) -> list[str]:
        """The call outcome lines (``ok``, ``error``, ``cancelled``) read between ``since`` and ``until``."""
        return [line for t, line in self.lines
                if since <= t < until and line.split(" ", 1)[0] in ("ok", "error", "cancelled")]

    def alerts(self) -> list[tuple[str, int, int]]:
        """The alerts this process fired: (budget, threshold, window start)."""
        found = []
        for _, line in self.lines:
            if line.startswith("alert "):
                _, budget, threshold, start, _ = line.split(" ")
                found.append((budget, int(threshold), int(start)))
        return found


def migrated(url: str) -> None:
    """Create the store's schema at ``url`` (SQLite or PostgreSQL), so that a sampler can read it from
    the first moment of a load."""
    from modelplex_store.db import connect as open_store
    from modelplex_store.migrations import migrate

    db = open_store(url)
    try:
        migrate(db)
    finally:
        db.close()


def start_all(children: list[Child]) -> None:
    """Wait until every child's client is open."""
    for child in children:
        child.wait_for("ready")


def run_batch(children: list[Child], per_child: int, first: int = 0, timeout: float = 180.0) -> None:
    """Every child makes ``per_child`` calls at once (numbered apart); wait until all ended."""
    for n, child in enumerate(children):
        child.send(f"go {first + n * per_child} {per_child}")
    for child in children:
        child.wait_for("batch", timeout)


class RedisProcess:
    """A redis-server on a free loopback port that a test can SIGKILL and start again on that port.

    Without ``directory`` it persists nothing (a kill empties it); with one, it keeps an append-only file
    there written before each command returns (``appendfsync always``), so that a kill loses no budget
    counter: the setting a Redis budget ledger needs for a restart not to refill its budgets."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        keep = ["--appendonly", "no"] if self.directory is None else [
            "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *keep,
             "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """SIGKILL it."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> RedisProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def ledger_totals(url: str, budget: str, window_start: int, now_us: int | None = None,
                  prefix: str = "modelplex") -> tuple[int, int]:
    """Budget ``budget``'s (spent, reserved) in nano-dollars in the window starting at ``window_start``
    (microseconds), read in one snapshot: one SQL statement, or one Redis HMGET. Reserved counts the
    reservations unexpired at ``now_us`` (all of them when ``None``)."""
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url, decode_responses=True)
        try:
            spent, reserved = client.hmget(f"{prefix}:bg:{budget}||{window_start}", ["spent", "reserved"])
        finally:
            client.close()
        return int(spent or 0), int(reserved or 0)
    from loadgen import connect

    live = "" if now_us is None else f" AND expires_at > {int(now_us)}"
    sql = (f"SELECT (SELECT coalesce(sum(spent_nanos), 0) FROM budget_counters WHERE budget = '{budget}' "
           f"AND window_start = {int(window_start)}), (SELECT coalesce(sum(amount_nanos), 0) FROM "
           f"budget_reservations WHERE budget = '{budget}' AND window_start = {int(window_start)}{live})")
    with connect(url) as conn:
        spent, reserved = conn.execute(sql).fetchone()
    return int(spent), int(reserved)


class Sampler:
    """Reads :func:`ledger_totals` in a thread every few milliseconds while a load runs; ``worst`` is the
    largest spent + reserved seen, ``errors`` the reads that failed (the store down)."""

    def __init__(self, url: str, budget: str, window_start: int) -> None:
        self.url, self.budget, self.window_start = url, budget, window_start
        self.worst = 0
        self.samples = 0
        self.errors = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                spent, reserved = ledger_totals(self.url, self.budget, self.window_start)
            except Exception as exc:  # the store is down: the read is counted, the load goes on
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            else:
                self.worst = max(self.worst, spent + reserved)
                self.samples += 1
            self._stop.wait(0.005)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


if __name__ == "__main__":
    main()
