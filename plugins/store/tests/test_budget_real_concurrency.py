"""200 concurrent calls against a budget that fits exactly 50 worst cases, in one process on SQLite and in
four processes on a real PostgreSQL server and a real ``redis-server`` (issue 15, "to prove").

What the peers fail: the best-known gateway let eight concurrent first requests spend 264,000 times an
end user's budget (the spend was checked, then counted, with nothing reserved in between), and its
per-replica counters multiplied a budget by the number of replicas. Here each process is a real client
(``budget_load.py``) whose ledger is the shared database or Redis; every call uses exactly its worst case
(the loopback provider answers with those tokens), so the budget holds 50 calls and not one more. The
proof is counted where it cannot be argued with: the requests the provider server received, the ledger's
spent + reserved sampled every few milliseconds during the load (plain SQL or one HMGET, not the ledger's
code), and the usage rows' costs summed afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from budget_load import (
    Child,
    RedisProcess,
    Sampler,
    ledger_totals,
    migrated,
    run_batch,
    start_all,
    worst,
    write_models,
)
from loadgen import connect
from modelplex_store.budgets.admitter import nanos_down, nanos_up

from modelplex_testing import Reply, ScriptedServer

CALLS = 200
FITS = 50


def reply(prompt_tokens: int, completion_tokens: int) -> Reply:
    """A chat completion that used exactly these tokens."""
    return Reply.json({"id": "c1", "object": "chat.completion", "model": "cheap",
                       "choices": [{"index": 0, "finish_reason": "length",
                                    "message": {"role": "assistant", "content": "Paris."}}],
                       "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                 "total_tokens": prompt_tokens + completion_tokens}})


def chat_requests(server: ScriptedServer) -> int:
    """How many chat requests reached the provider server."""
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


def row_costs(store: str) -> tuple[int, int]:
    """(chat rows, the sum of their costs in nano-dollars) in the store at ``store``, by plain SQL."""
    with connect(store) as conn:
        n, total = conn.execute("SELECT count(*), coalesce(sum(cost_nanos), 0) FROM calls "
                                "WHERE kind = 'chat' AND status = 'ok'").fetchone()
    return int(n), int(total)


@pytest.fixture(params=["sqlite-1-process", "postgresql-4-processes", "redis-4-processes"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """(the ledger's URL, the usage store's URL, how many processes share them)."""
    sqlite = f"sqlite:///{tmp_path / 'store.db'}"
    if request.param.startswith("sqlite"):
        yield sqlite, sqlite, 1
    elif request.param.startswith("postgresql"):
        pg = str(request.getfixturevalue("pg_url"))
        yield pg, pg, 4
    else:
        try:
            redis = RedisProcess()
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        with redis:
            yield redis.url, sqlite, 4


def test_200_concurrent_calls_against_50_worst_cases_serve_50_and_never_overspend(
        ledger: tuple[str, str, int], tmp_path: Path) -> None:
    ledger_url, store_url, processes = ledger
    config = write_models(tmp_path / "models.toml")
    tokens, cost = asyncio.run(worst(config))
    limit = cost * FITS
    started = time.monotonic()
    for url in {ledger_url, store_url}:
        if not url.startswith("redis"):
            migrated(url)  # a sampler reads the tables from the load's first moment
    with ScriptedServer([reply(tokens, 100)]) as server:  # every call uses exactly its worst case
        spec = {"config": str(config), "base_url": server.url, "ledger": ledger_url, "store": store_url,
                "budgets": [{"name": "fifty", "limit": str(limit), "window": "total"}]}
        children = [Child(spec, tmp_path / f"p{i}", f"p{i}") for i in range(processes)]
        start_all(children)
        with Sampler(ledger_url, "fifty", 0) as sampler:
            run_batch(children, CALLS // processes)
        codes = [child.finish() for child in children]
        served_upstream = chat_requests(server)
    elapsed = time.monotonic() - started
    assert codes == [0] * processes, [c.stderr for c in children]
    outcomes = [line for child in children for line in child.outcomes()]
    ok = [line for line in outcomes if line.startswith("ok ")]
    refused = [line for line in outcomes if not line.startswith("ok ")]
    assert len(outcomes) == CALLS
    assert len(ok) == FITS == served_upstream  # the refused calls sent nothing
    assert {line.split()[2] for line in refused} == {"BudgetExceeded"}
    # spent + reserved never passed the limit at any moment sampled during the load
    assert sampler.samples > 0 and sampler.errors == 0, sampler.last_error
    assert sampler.worst <= nanos_down(limit), (sampler.worst, nanos_down(limit))
    spent, reserved = ledger_totals(ledger_url, "fifty", 0)
    assert (spent, reserved) == (FITS * nanos_up(cost), 0)
    assert row_costs(store_url) == (FITS, spent)  # spent is the sum of the usage rows' costs
    print(f"\n{processes} process(es), {CALLS} calls: {len(ok)} served, {len(refused)} refused, "
          f"{sampler.samples} ledger samples, {elapsed:.1f} s")
