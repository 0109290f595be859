"""The budget store stopped in the middle of a load (issue 15, "to prove"): a real PostgreSQL server
stopped, a real ``redis-server`` SIGKILLed, under four client processes making calls under a hard budget.
While it is down the loopback provider server receives not one request; once it is back, calls pass again.

What the peers fail: the best-known gateway's newer reservation lets calls through when its counter store
is down (it fails open, so an outage of the store is an unlimited budget). Here the ledger fails a hard
budget closed by default (``on_unavailable = "deny"``): each call is refused with ``BudgetUnavailable``
before anything is sent. The provider server's request count is read twice while the store is down, a
second after it went (calls admitted just before it went have sent their requests by then) and at the end
of the outage; the two counts must be equal. The spend counted before the outage is still there after it
(redis-server keeps an append-only file, as a Redis ledger must for a restart not to refill its budgets).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from budget_load import Child, RedisProcess, ledger_totals, start_all, write_models
from modelplex_store.testing import find_postgres, postgres_server
from test_budget_real_concurrency import chat_requests, reply

from modelplex_testing import ScriptedServer

PROCESSES = 4
GRACE = 1.0  # after the store went: calls admitted before it went have sent their requests
DOWN = 2.0  # how long the store stays down after the grace


@pytest.fixture(params=["postgresql", "redis"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None],
                                                                              Callable[[], None]]]:
    """(the ledger's URL, what stops it, what starts it again on the same address)."""
    if request.param == "postgresql":
        if find_postgres() is None:
            pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
        with postgres_server() as pg:  # a cluster of its own: the session's one stays up for other tests
            yield pg.database("budget"), pg.stop, pg.start
    else:
        try:
            redis = RedisProcess(tmp_path)  # an append-only file: the counters outlive the kill
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        with redis:
            yield redis.url, redis.kill, redis.start


def oks(children: list[Child], since: float = 0.0) -> int:
    """How many calls got their response since ``since``."""
    return sum(line.startswith("ok ") for child in children for line in child.outcomes(since))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


@pytest.mark.slow
def test_no_call_under_a_hard_budget_passes_while_its_store_is_down_and_calls_recover_after(
        outage: tuple[str, Callable[[], None], Callable[[], None]], tmp_path: Path) -> None:
    url, stop, start = outage
    config = write_models(tmp_path / "models.toml")
    with ScriptedServer([reply(10, 5)]) as server:
        spec = {"config": str(config), "base_url": server.url, "ledger": url, "in_flight": 2, "hold": 0.02,
                "budgets": [{"name": "hard", "limit": "1000", "window": "total"}]}
        children = [Child(spec, tmp_path / f"p{i}", f"p{i}") for i in range(PROCESSES)]
        start_all(children)
        for n, child in enumerate(children):
            child.send(f"go {n * 100_000} 3000")
        wait_until(lambda: oks(children) >= 40, 60, "40 calls served before the outage")
        spent_before, _ = ledger_totals(url, "hard", 0)
        stop()
        went = time.time()
        time.sleep(GRACE)
        first, since = chat_requests(server), time.time()
        time.sleep(DOWN)
        last, until = chat_requests(server), time.time()
        start()
        back = time.time()
        wait_until(lambda: oks(children, back) >= 40, 60, "40 calls served after the store came back")
        for child in children:
            child.send("stop")
        codes = [child.finish() for child in children]
        total = chat_requests(server)
        spent_after, _ = ledger_totals(url, "hard", 0)
    assert codes == [0] * PROCESSES, [c.stderr for c in children]
    assert last == first, f"{last - first} requests reached the provider while the budget store was down"
    during = [line for child in children for line in child.outcomes(since, until)]
    refused = [line for line in during if line.startswith("error ")]
    assert len(refused) >= PROCESSES, during  # calls were tried all along the outage...
    assert {line.split()[2] for line in refused} == {"BudgetUnavailable"}  # ...and refused, closed
    assert total > last and oks(children, back) >= 40  # it recovered...
    assert spent_after > spent_before > 0  # ...without refilling the budget
    print(f"\nstore down {until - went:.1f} s: {len(refused)} calls refused, 0 sent; "
          f"{first} requests before, {total - last} after it came back")
