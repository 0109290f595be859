"""Calls cancelled by their caller as soon as they started (issue 15: "a cancelled call settles what it
used"), on SQLite, PostgreSQL and redis-server: once the load is over nothing stays reserved (no lease has
to end first), and spent equals the usage rows' costs, the calls that sent nothing costing nothing.

What the peers fail: the best-known gateway counts a spend when its log is written, so a call cut short
is either counted in full or not at all. Here a cancellation that lands while the reservation is being
taken must give it back at once (a lease of ten minutes would otherwise hold that room), and a call
that sent nothing must not be recorded as if its prompt had been billed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from budget_load import Child, RedisProcess, ledger_totals, migrated, run_batch, start_all, write_models
from test_budget_real_expiry import row_costs

from modelplex_testing.faults import FaultServer

CALLS = 200
EVERY = 4  # every 4th call is cancelled at its start


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the ledger's URL, the usage store's URL)."""
    sqlite = f"sqlite:///{tmp_path / 'store.db'}"
    if request.param == "sqlite":
        yield sqlite, sqlite
    elif request.param == "postgresql":
        pg = str(request.getfixturevalue("pg_url"))
        yield pg, pg
    else:
        try:
            redis = RedisProcess()
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        with redis:
            yield redis.url, sqlite


def test_calls_cancelled_at_their_start_leave_nothing_reserved_and_rows_equal_spent(
        stores: tuple[str, str], tmp_path: Path) -> None:
    ledger, store = stores
    config = write_models(tmp_path / "models.toml")
    for url in {ledger, store}:
        if not url.startswith("redis"):
            migrated(url)
    with FaultServer(["main"]) as server:
        spec = {"config": str(config), "ledger": ledger, "store": store, "base_url": server.url("main"),
                "distinct": True, "in_flight": 20, "cancel_early": EVERY,
                "budgets": [{"name": "all", "limit": "1000", "window": "total"}]}
        child = Child(spec, tmp_path / "p", "p")
        start_all([child])
        run_batch([child], 1, first=10_001)  # warmed up (10_001: not one it cancels)
        run_batch([child], CALLS)
        assert child.finish() == 0, child.stderr
        sent = len(server.requests("main"))
    outcomes = child.outcomes()
    cancelled = sum(line.startswith("cancelled ") for line in outcomes)
    ignored = sum(line.endswith("cancel-ignored") for line in outcomes)
    spent, reserved = ledger_totals(ledger, "all", 0)
    statuses, costs = row_costs(store)
    print(f"\n{cancelled} cancelled, {ignored} went on although cancelled, {sent} sent; rows {statuses}; "
          f"spent {spent}, rows' costs {costs}, reserved {reserved}")
    assert cancelled + ignored == CALLS // EVERY
    assert reserved == 0, f"{reserved} nano-dollars still reserved by cancelled calls"
    assert ignored == 0, f"{ignored} calls went on (and were sent) after their caller cancelled them"
    assert spent == costs, (spent, costs, statuses)
