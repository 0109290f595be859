"""A fake clock drives windows and alerts across four processes (issue 15, "to prove"): each threshold
fires exactly once per budget and window, whichever process crossed it, on a real PostgreSQL server and a
real ``redis-server``.

What the peers fail: the best-known gateway's alerts are per process (four replicas send four alerts,
or none when each sees a quarter of the spend) and its budgets reset when a process restarts. Here the
four processes share one clock, a file the test moves (each reads it whenever it needs the time), and one
ledger that decides who fires (a row inserted once, or a Redis SET NX). Two budgets over the same calls:
``hard`` (10 worst cases a day, alerts at 50/80/100%) and ``soft`` (4 worst cases, an alert at 100%, never
blocking). Day one: 20 calls at once from four processes, 10 served; an hour later, 8 more, all refused
and no alert; the next day: 20 again, 10 served, every alert once more.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from budget_load import Child, RedisProcess, run_batch, start_all, worst, write_models
from modelplex_store.budgets.windows import bounds
from test_budget_real_concurrency import chat_requests, reply

from modelplex_testing import ScriptedServer

DAY_ONE = 1_790_006_400.0 + 9 * 3600  # 09:00 UTC


@pytest.fixture(params=["postgresql", "redis"])
def ledger(request: pytest.FixtureRequest) -> Iterator[str]:
    """The ledger the four processes share."""
    if request.param == "postgresql":
        yield str(request.getfixturevalue("pg_url"))
        return
    try:
        redis = RedisProcess()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with redis:
        yield redis.url


def set_clock(path: Path, now: float) -> None:
    """Move the processes' clock (one rename: a process never reads a half-written file)."""
    part = path.with_suffix(".part")
    part.write_text(repr(now))
    os.replace(part, path)


def test_each_threshold_fires_exactly_once_per_window_across_four_processes(ledger: str,
                                                                           tmp_path: Path) -> None:
    config = write_models(tmp_path / "models.toml")
    tokens, cost = asyncio.run(worst(config))
    clock = tmp_path / "clock"
    set_clock(clock, DAY_ONE)
    with ScriptedServer([reply(tokens, 100)]) as server:  # each call uses exactly its worst case
        spec = {"config": str(config), "base_url": server.url, "ledger": ledger, "clock_file": str(clock),
                "budgets": [{"name": "hard", "limit": str(cost * 10), "window": "day"},
                            {"name": "soft", "limit": str(cost * 4), "window": "day", "hard": False,
                             "alerts": [100]}]}
        children = [Child(spec, tmp_path / f"p{i}", f"p{i}") for i in range(4)]
        start_all(children)
        served = []
        run_batch(children, 5, first=0)
        served.append(chat_requests(server))
        set_clock(clock, DAY_ONE + 3600)  # later the same day: the window is full
        run_batch(children, 2, first=100)
        served.append(chat_requests(server))
        set_clock(clock, DAY_ONE + 86_400)  # the next day: a new window
        run_batch(children, 5, first=200)
        served.append(chat_requests(server))
        codes = [child.finish() for child in children]
    assert codes == [0] * 4, [c.stderr for c in children]
    assert served == [10, 10, 20]
    fired = Counter(alert for child in children for alert in child.alerts())
    days = [bounds("day", DAY_ONE)[0] // 1_000_000, bounds("day", DAY_ONE + 86_400)[0] // 1_000_000]
    expected = {(budget, threshold, day) for day in days
                for budget, threshold in (("hard", 50), ("hard", 80), ("hard", 100), ("soft", 100))}
    assert set(fired) == expected, sorted(fired)
    assert set(fired.values()) == {1}, fired  # exactly once each, across the four processes
    firing = {child.name for child in children if child.alerts()}
    print(f"\n{len(fired)} alerts, each once, fired by {sorted(firing)}")
