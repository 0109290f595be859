"""After a load with cancellations, upstream failures and a SIGKILLed process (issue 15, "to prove"):
reserved returns to zero once the killed process's reservations expire, and spent equals the sum of the
usage rows' costs, on a real PostgreSQL server (ledger and usage rows) and a real ``redis-server`` (ledger;
the usage rows in a SQLite file the processes share).

What the peers fail: the best-known gateway's budgets reset on every deploy and its counters drift from
its spend logs (a spend is counted when the log is written, or not at all when a call is cut); nothing
there holds a place for a call in flight, so nothing can leak or expire. Here three processes make 240
calls against a fault-injecting loopback server (about a tenth answered 500, a tenth held past the
caller's 4 s timeout, so cancelled), and a fourth process, whose 20 calls are all held upstream, is
SIGKILLed with their 20 worst cases reserved. Read with plain SQL or Redis commands: once the three are
done, reserved is exactly the killed process's 20 worst cases (no cancelled or failed call left anything
behind); after the lease (15 s, injected) and one more call, it is zero; spent equals the rows' costs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from budget_load import (
    PROMPT,
    Child,
    RedisProcess,
    ledger_totals,
    migrated,
    run_batch,
    start_all,
    worst,
    write_models,
)
from loadgen import connect
from modelplex_store.budgets.admitter import nanos_up

from modelplex_testing.faults import FaultServer

LEASE = 15.0
HELD = 20  # the killed process's calls, all held upstream when it dies
CALLS = 80  # each of the three others


@pytest.fixture(params=["postgresql", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the ledger's URL, the usage store's URL)."""
    if request.param == "postgresql":
        pg = str(request.getfixturevalue("pg_url"))
        yield pg, pg
        return
    try:
        redis = RedisProcess()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with redis:
        yield redis.url, f"sqlite:///{tmp_path / 'store.db'}"


def row_costs(store: str) -> tuple[dict[str, int], int]:
    """The call rows by status, and the sum of their costs in nano-dollars (plain SQL)."""
    with connect(store) as conn:
        found = conn.execute("SELECT status, count(*), coalesce(sum(cost_nanos), 0) FROM calls "
                             "WHERE parent_id IS NULL AND kind <> 'attempt' GROUP BY status").fetchall()
    return {str(s): int(n) for s, n, _ in found}, sum(int(c) for _, _, c in found)


@pytest.mark.slow
def test_reserved_returns_to_zero_and_spent_equals_the_rows_after_cancels_failures_and_a_kill(
        stores: tuple[str, str], tmp_path: Path) -> None:
    ledger, store = stores
    config = write_models(tmp_path / "models.toml")
    _, cost = asyncio.run(worst(config))
    for url in {ledger, store}:
        if not url.startswith("redis"):
            migrated(url)
    started = time.monotonic()
    with FaultServer(["main", "hold"], seed=15, fault_rate=0.2, faults={"500": 1, "slow": 1}, slow=30.0,
                     script={"hold": ["slow"] * HELD}) as server:
        spec = {"config": str(config), "ledger": ledger, "store": store, "lease": LEASE,
                "budgets": [{"name": "all", "limit": "1000", "window": "total"}]}
        victim = Child({**spec, "base_url": server.url("hold")}, tmp_path / "victim", "victim")
        busy = {**spec, "base_url": server.url("main"), "distinct": True, "timeout": 4.0, "in_flight": 20}
        others = [Child({**busy, "prompt": f"process {i}"}, tmp_path / f"p{i}", f"p{i}") for i in range(3)]
        start_all([victim, *others])
        run_batch(others, 1, first=10_000)  # warmed up: no call is cut by its timeout while still starting
        victim.send(f"go 0 {HELD}")
        deadline = time.monotonic() + 30
        while len(server.requests("hold")) < HELD and time.monotonic() < deadline:
            time.sleep(0.01)
        reserved_at = time.time()
        victim.kill()
        run_batch(others, CALLS)
        codes = [child.finish() for child in others]
        _, reserved_after_load = ledger_totals(ledger, "all", 0)
        assert time.time() < reserved_at + LEASE, "the load outlasted the lease: make LEASE longer"
        time.sleep(max(reserved_at + LEASE + 0.2 - time.time(), 0))
        one_more = Child({**spec, "base_url": server.url("main")}, tmp_path / "after", "after")
        start_all([one_more])
        run_batch([one_more], 1)
        codes.append(one_more.finish())
        sent = len(server.requests("main"))
    assert codes == [0] * 4, [c.stderr for c in [*others, one_more]]
    assert len(server.requests("hold")) == HELD
    outcomes = [line.split()[0] + (line.split()[2:3] or [""])[0] for c in others for line in c.outcomes()]
    kinds = {k: outcomes.count(k) for k in set(outcomes)}
    assert kinds.get("ok", 0) and kinds.get("errorServerError", 0) and kinds.get("cancelled", 0), kinds
    assert sum(kinds.values()) == 3 * (CALLS + 1)  # with the warm-up call
    # the killed process's reservations, and nothing else: cancelled and failed calls left none behind
    _, victims_worst = asyncio.run(worst(config, PROMPT))
    assert reserved_after_load == HELD * nanos_up(victims_worst)
    spent, reserved = ledger_totals(ledger, "all", 0)
    statuses, costs = row_costs(store)
    assert reserved == 0  # the lease ended: the next reservation dropped them
    assert spent == costs, (spent, costs, statuses, sent)
    assert spent > 0 and cost > 0
    print(f"\n{kinds}; rows {statuses}; spent {spent} nano-dollars; {time.monotonic() - started:.1f} s")
