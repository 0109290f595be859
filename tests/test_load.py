"""A bounded load test: 2,000 calls, 100 in flight, through a chain of three local providers, 20% faulted.

The providers are the real ``openai-like`` plugin configured three times, against the ports of a
fault-injecting server (``modelplex_testing.faults``) running in a process of its own, as a provider runs on
a machine of its own: served from a thread of the test's process, it shared the interpreter lock with the
hundred calls in flight and, on a loaded CI machine, stamped a request it read after the client had timed
out and let go of it (61 in a window of 60). What is checked:

- every call ends as a response or a typed Modelplex error: nothing else escapes, and at least 95% end
  as a response (when fewer do, the report names the commonest ways the chain failed);
- no connection is left open on the server's side once the client is closed;
- the server's own log (arrival times of every request it received, faulted ones and retries
  included) shows no provider receiving more than its limit within any rolling window.

Honest about time: the limits are per minute in production; here the window is scaled down to one
second (``window = 1.0`` in ``[limits.*]``, with the limit per window), so the run is meaningful (the
limiter is what holds the rate: a control run without limits exceeds it) and takes seconds, not minutes.
The same code runs with ``window = 60``; only the clock is scaled. The run is repeated with two processes
sharing the limits through a real Redis server, each with 200 calls in flight: more than the Redis
connections of a process (100), so calls wait for a connection (they used to fail with
``MaxConnectionsError``, 1,900 of 2,000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from load_run import run_load

from modelplex_testing.faults import LogReader
from modelplex_testing.faults_process import FaultServerProcess
from modelplex_testing.services import RedisServer

pytestmark = pytest.mark.alone  # see the noxfile: run with no other test beside it

NAMES = ("local-a", "local-b", "local-c")
WINDOW = 1.0  # seconds: "a minute", scaled
PER_WINDOW = 60  # requests per provider per window
TOTAL = 2000
IN_FLIGHT = 100
REDIS_IN_FLIGHT = 200  # per process: past redis-py's 100 connections
# Past it, an answer is a timeout; the server's "slow" fault (2 s) is always past it. A stall of the
# machine longer than this times out every call in flight, cools every model of the chain down at once,
# and the calls queued behind them fail at once (as documented: a chain skips a model cooling down); 0.5 s
# was short enough for a busy CI machine to do that to 130 calls of 2,000.
CALL_TIMEOUT = 1.0
HERE = Path(__file__).resolve().parent


def write_config(path: Path, server: LogReader, *, limits: bool = True, redis: str | None = None) -> Path:
    lines = [f'redis = "{redis}"', f'redis_prefix = "load{time.time_ns()}"'] if redis else []
    lines += ["[routing]", "retries = 1", "backoff = 0.05", "max_backoff = 0.2", "max_retry_after = 2",
              "deadline = 30", "cooldown_after = 3", "cooldown = 0.5", ""]
    for name in NAMES:
        lines += [f"[providers.{name}]", 'plugin = "openai-like"', f'base_url = "{server.url(name)}"',
                  f"call_timeout = {CALL_TIMEOUT}", ""]
        if limits:
            lines += [f"[limits.{name}]", f"rpm = {PER_WINDOW}", f"window = {WINDOW}", "concurrency = 40", ""]
    models = ", ".join(f'"{name}/m1"' for name in NAMES)
    lines += ["[chains.load]", f"models = [{models}]", ""]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def server() -> Iterator[FaultServerProcess]:
    with FaultServerProcess(NAMES, seed=2024, fault_rate=0.2, retry_after=0.2, slow=2.0,
                            cut_events=(1, 3)) as s:
        yield s


def check(server: FaultServerProcess, summaries: list[dict[str, Any]], report: str) -> None:
    outcomes: dict[str, int] = {}
    for summary in summaries:
        assert summary["unhandled"] == [], summary["unhandled"][:5]
        for kind, n in summary["outcomes"].items():
            outcomes[kind] = outcomes.get(kind, 0) + n
    assert sum(outcomes.values()) == TOTAL
    typed = {"ok", "RoutingError", "StreamInterruptedError", "RequestTimeoutError", "LocalRateLimitError",
             "ServerError", "RateLimitError", "TransportError", "ResponseParseError"}
    assert set(outcomes) <= typed, outcomes
    why: Counter[str] = Counter()
    for summary in summaries:
        why.update(summary["why_routing_failed"])
    commonest = "\n".join(f"{n} x {reason}" for reason, n in why.most_common(5))
    assert outcomes.get("ok", 0) >= 0.95 * TOTAL, f"{outcomes}; the chain's commonest failures:\n{commonest}"

    requests = server.requests()
    faulted = sum(e.fault is not None for e in requests)
    assert 0.15 <= faulted / len(requests) <= 0.25, (faulted, len(requests))
    assert {e.fault for e in requests} >= {None, "429", "500", "503", "529", "slow", "reset", "cut",
                                           "malformed"}
    peaks = {name: server.max_in_window(name, WINDOW) for name in NAMES}
    assert all(peak <= PER_WINDOW for peak in peaks.values()), peaks
    assert max(peaks.values()) == PER_WINDOW, f"the limit was never reached: {peaks}"
    assert server.wait_idle(5.0) == 0, "a connection was left open"
    print(f"\n{report}: {len(requests)} requests reached the server ({faulted} faulted) for {TOTAL} calls; "
          f"outcomes {outcomes}; busiest {WINDOW:g}s window per provider {peaks} (limit {PER_WINDOW}); "
          f"took {max(s['seconds'] for s in summaries):.1f}s")


def test_load_through_a_chain_with_limits_in_memory(server: FaultServerProcess, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", server)
    summary = anyio.run(run_load, config, TOTAL, IN_FLIGHT)
    assert summary["most_in_flight"] == IN_FLIGHT
    check(server, [summary], "one process, limits in memory")
    server.write_log(tmp_path / "server-log.jsonl")


def test_without_limits_the_same_load_exceeds_the_rate(server: FaultServerProcess, tmp_path: Path) -> None:
    """The control: the rolling-window check can fail, and fails without the limiter."""
    config = write_config(tmp_path / "config.toml", server, limits=False)
    summary = anyio.run(run_load, config, 400, IN_FLIGHT)
    assert summary["unhandled"] == []
    peaks = {name: server.max_in_window(name, WINDOW) for name in NAMES}
    assert max(peaks.values()) > PER_WINDOW, peaks
    print(f"\ncontrol, no limits: busiest {WINDOW:g}s window per provider {peaks} (limit {PER_WINDOW})")


@pytest.mark.skipif(not RedisServer.available(),
                    reason="redis-server is not installed (apt-get install redis-server)")
def test_load_from_two_processes_sharing_limits_through_redis(server: FaultServerProcess,
                                                              tmp_path: Path) -> None:
    with RedisServer() as redis:
        config = write_config(tmp_path / "config.toml", server, redis=redis.url)
        half = TOTAL // 2
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
        workers = [subprocess.Popen([sys.executable, str(HERE / "load_run.py"), str(config), str(half),
                                     str(REDIS_IN_FLIGHT), str(i * half), str(tmp_path / f"out{i}.json")],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for i in range(2)]
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-3000:]
        summaries = [json.loads((tmp_path / f"out{i}.json").read_text()) for i in range(2)]
    assert [s["most_in_flight"] for s in summaries] == [REDIS_IN_FLIGHT] * 2
    check(server, summaries, "two processes, limits shared in Redis")
