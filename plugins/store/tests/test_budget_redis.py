"""The budget ledger in a real ``redis-server`` (issue 15, item 2), in one process (the many-process
proofs are B2's): 200 concurrent calls against 50 worst cases serve 50; a reservation expires with its
lease; alerts fire once; a Redis that is stopped fails a hard budget closed, with nothing sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from exchange import KEY
from modelplex_groq.plugin import PLUGIN as GROQ
from modelplex_store.budgets import Budget, BudgetPlugin, BudgetUnavailable
from modelplex_store.budgets.admitter import nanos_up
from modelplex_store.budgets.ledger import Counter
from modelplex_store.budgets.redis_ledger import RedisLedger
from modelplex_store.budgets.windows import bounds
from test_budgets import CONFIG, MAX, PROMPT, Clock, reply, worst

import modelplex
from modelplex.errors import BudgetExceeded
from modelplex_testing import ScriptedServer, serving
from modelplex_testing.services import RedisServer


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not RedisServer.available():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def client(config: Path, url: str, plugin: BudgetPlugin) -> modelplex.AsyncClient:
    return modelplex.AsyncClient(plugins={"groq": GROQ, "budgets": plugin}, autoload=False,
                                 config_file=config, env={},
                                 providers={"groq": {"api_key": KEY, "base_url": url}})


def state(url: str, clock: Clock, limit: int = 0) -> Any:
    start, end = bounds("day", clock())
    counter = Counter(budget="d", subject="", window_start=start, window_end=end, limit=limit,
                      alerts=(50, 100))

    async def read() -> Any:
        ledger = RedisLedger(url)
        try:
            return (await ledger.states([counter], int(clock() * 1e6)))[0]
        finally:
            await ledger.aclose()

    return asyncio.run(read())


def test_200_concurrent_calls_against_50_worst_cases_serve_50_in_redis(
        redis_url: str, config: Path, serve: Callable[..., ScriptedServer]) -> None:
    tokens, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", tokens))
    clock = Clock()
    budget = Budget(name="d", limit=cost * 50, alerts=[50, 100])
    plugin = BudgetPlugin([budget], ledger=redis_url, clock=clock)

    async def main() -> list[Any]:
        async with client(config, server.url, plugin) as c:
            out = await asyncio.gather(*(c.chat("groq/cheap", PROMPT, max_tokens=MAX) for _ in range(200)),
                                       return_exceptions=True)
        await plugin.aclose()
        return out

    results = asyncio.run(main())
    assert sum(not isinstance(r, BaseException) for r in results) == 50 == len(server.requests)
    assert all(isinstance(r, BudgetExceeded) for r in results if isinstance(r, BaseException))
    found = state(redis_url, clock)
    assert (found.spent, found.reserved, found.calls, found.fired) == (50 * nanos_up(cost), 0, 50, (50, 100))


def test_a_redis_reservation_expires_with_its_lease(redis_url: str) -> None:
    clock = Clock()
    start, end = bounds("day", clock())
    counter = Counter(budget="d", subject="", window_start=start, window_end=end, limit=100)

    async def main() -> list[Any]:
        ledger = RedisLedger(redis_url)
        now = int(clock() * 1e6)
        first = await ledger.reserve("dead", [counter], 80, now + 1_000_000, now)  # never settled
        blocked = await ledger.reserve("b", [counter], 80, now + 1_000_000, now)
        later = now + 2_000_000
        freed = await ledger.reserve("c", [counter], 80, later + 1_000_000, later)
        await ledger.aclose()
        return [first, blocked, freed]

    first, blocked, freed = asyncio.run(main())
    assert first is None and freed is None
    assert blocked is not None and (blocked.spent, blocked.reserved) == (0, 80)


def test_a_stopped_redis_fails_a_hard_budget_closed(config: Path,
                                                    serve: Callable[..., ScriptedServer]) -> None:
    if not RedisServer.available():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = serve(reply("cheap", 10, 5))
    with RedisServer() as redis:
        url = redis.url
        plugin = BudgetPlugin([Budget(name="d", limit="5")], ledger=url)

        async def call() -> Any:
            async with client(config, server.url, plugin) as c:
                try:
                    return await c.chat("groq/cheap", PROMPT, max_tokens=MAX)
                except BudgetExceeded as exc:
                    return exc

        assert not isinstance(asyncio.run(call()), BaseException)
    refused = asyncio.run(call())  # the same plugin, its server gone
    assert isinstance(refused, BudgetUnavailable) and len(server.requests) == 1


def test_the_state_of_a_per_value_budget_in_redis_lists_each_value(redis_url: str) -> None:
    from modelplex_store.budgets.status import statuses

    clock = Clock()
    budget = Budget(name="agents", limit="1", scope="agent:*", alerts=[50])
    start, end = bounds("day", clock())

    async def main() -> list[Any]:
        ledger = RedisLedger(redis_url)
        now = int(clock() * 1e6)
        for agent, spent in (("triage", 600_000_000), ("coder", 100_000_000)):
            counter = Counter(budget="agents", subject=agent, window_start=start, window_end=end, limit=10**9,
                              alerts=(50,))
            await ledger.reserve(agent, [counter], spent, now + 10**6, now)
            await ledger.settle(agent, [counter], spent, now)
        found = await statuses([budget], ledger, clock)
        await ledger.aclose()
        return found

    found = {s.subject: s for s in asyncio.run(main())}
    assert sorted(found) == ["coder", "triage"]
    assert (str(found["triage"].spent), found["triage"].fired, found["coder"].fired) == ("0.6", (50,), ())
    assert end is not None and found["coder"].resets_at == end / 1e6 and found["coder"].reserved == 0


@pytest.mark.parametrize("steps", [1, 2, 3], ids=["at-its-first-await", "a-step-later", "two-steps-later"])
def test_a_redis_release_whose_caller_is_cancelled_on_its_way_still_runs(redis_url: str, steps: int) -> None:
    # As the SQL ledger's (test_budget_cancel.py): a release in a clean-up that a timeout cancels must
    # still give its reservation back, or the reservation stays counted until its lease ends.
    clock = Clock()
    start, end = bounds("day", clock())
    counter = Counter(budget="d", subject="", window_start=start, window_end=end, limit=10**12)

    async def main() -> int:
        ledger = RedisLedger(redis_url)
        now = int(clock() * 1e6)
        await ledger.reserve("first", [counter], 80, now + 60_000_000, now)
        release = asyncio.ensure_future(ledger.release("first", [counter]))
        for _ in range(steps):
            await asyncio.sleep(0)
        release.cancel()
        await asyncio.gather(release, return_exceptions=True)
        await asyncio.sleep(0.2)  # a release handed on finishes meanwhile
        [found] = await ledger.states([counter], now)
        await ledger.aclose()
        return found.reserved

    assert asyncio.run(main()) == 0
