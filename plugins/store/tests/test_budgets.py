"""Budgets through a real client on the wire (issue 15, items 1-4 and 6): 200 concurrent calls never
overspend; reservations are settled to the actual cost, released on failure, settled with what a cancelled
call used, and expire after a killed process; a restart refills nothing; unknown prices are refused unless
allowed (counted apart); a free local model is counted; a chain moves on to a cheaper candidate with the
budget in its trace; a ledger that cannot be reached fails a hard budget closed; every decision is in the
call's usage row. The ledger tests run on a SQLite file and on PostgreSQL (``store_url``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from exchange import KEY, closing, recorder, rows
from modelplex_groq.plugin import PLUGIN as GROQ
from modelplex_store.budgets import Budget, BudgetPlugin, BudgetUnavailable
from modelplex_store.budgets.admitter import nanos_up
from modelplex_store.budgets.ledger import Counter
from modelplex_store.budgets.sql import SqlLedger
from modelplex_store.plugin import StorePlugin
from modelplex_store.recorder import Recorder

import modelplex
from modelplex.errors import BudgetExceeded, ServerError
from modelplex_testing import Reply, ScriptedServer, serving

CONFIG = """
[models."groq/cheap"]
max_output = 1000
prices = { input = "1", output = "2" }

[models."groq/dear"]
max_output = 1000
prices = { input = "30", output = "60" }

[models."groq/free"]
tier = "local"
local = true
max_output = 1000
prices = { input = 0, output = 0 }
"""
PROMPT = "What is the capital of France?"
MAX = 100


class Clock:
    """A clock a test moves by hand (seconds since the epoch)."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def reply(model: str, prompt_tokens: int, completion_tokens: int = MAX, status: int = 200) -> Reply:
    """A chat completion of ``model`` that used exactly these tokens."""
    return Reply.json({"id": "c1", "object": "chat.completion", "model": model,
                       "choices": [{"index": 0, "finish_reason": "length",
                                    "message": {"role": "assistant", "content": "Paris."}}],
                       "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                 "total_tokens": prompt_tokens + completion_tokens}}, status=status)


BUSY = Reply.json({"error": {"message": "over capacity", "type": "server_error"}}, status=503)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def rec(store_url: str, tmp_path: Path) -> Iterator[Recorder]:
    yield from closing(recorder(store_url, tmp_path / "data"))


def client(config: Path, base_url: str, budgets: BudgetPlugin, rec: Recorder | None = None,
           **kwargs: Any) -> modelplex.AsyncClient:
    """A client of the groq plugin at ``base_url`` with ``budgets`` (and the recorder ``rec``)."""
    plugins: dict[str, object] = {"groq": GROQ, "budgets": budgets}
    if rec is not None:
        plugins["store"] = StorePlugin(rec)
    return modelplex.AsyncClient(plugins=plugins, autoload=False, config_file=config, env={},
                                 providers={"groq": {"api_key": KEY, "base_url": base_url}}, **kwargs)


async def worst(config: Path, model: str) -> tuple[int, Decimal]:
    """The worst case of one test request to ``model``: its input tokens and its cost."""
    async with modelplex.AsyncClient(plugins={"groq": GROQ}, autoload=False, config_file=config, env={},
                                     providers={"groq": {"api_key": KEY}}) as c:
        estimate = await c.estimate(model, PROMPT, max_tokens=MAX)
    assert estimate.cost.total is not None
    return estimate.input_tokens, estimate.cost.total


def states(ledger: SqlLedger, name: str, clock: Clock, window: str = "day", subject: str = "") -> Any:
    """The counter of budget ``name`` at ``clock``'s time: spent, reserved, calls, unpriced (nano-dollars)."""
    from modelplex_store.budgets.windows import bounds

    start, end = bounds(window, clock())  # type: ignore[arg-type]
    counter = Counter(budget=name, subject=subject, window_start=start, window_end=end, limit=0)
    (state,) = asyncio.run(ledger.states([counter], int(clock() * 1e6)))
    return state


def test_200_concurrent_calls_against_50_worst_cases_serve_50_and_never_overspend(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer], rec: Recorder) -> None:
    tokens, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", tokens))  # every call uses exactly its worst case
    clock = Clock()
    budget = Budget(name="daily", limit=cost * 50, window="day")
    budgets = BudgetPlugin([budget], ledger=store_url, clock=clock)

    async def main() -> list[Any]:
        async with client(config, server.url, budgets, rec) as c:
            calls = (c.chat("groq/cheap", PROMPT, max_tokens=MAX) for _ in range(200))
            results = await asyncio.gather(*calls, return_exceptions=True)
        await budgets.aclose()
        return results

    results = asyncio.run(main())
    served = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(served) == 50 and len(server.requests) == 50  # the refused ones sent nothing
    assert all(isinstance(r, BudgetExceeded) for r in refused), {type(r).__name__ for r in refused}
    first = refused[0]
    assert isinstance(first, BudgetExceeded)
    assert first.scope == "all" and first.limit == cost * 50 and first.resets_at is not None
    assert first.spent is not None and first.reserved is not None
    assert first.spent + first.reserved + cost > first.limit
    assert "daily" in str(first) and "resets" in str(first)
    ledger = SqlLedger(store_url)
    state = states(ledger, "daily", clock)
    assert state.spent == 50 * nanos_up(cost) and state.reserved == 0 and state.calls == 50
    # spent is the sum of the usage rows' costs
    assert sum(r["cost_nanos"] for r in rows(store_url, "kind = 'chat' AND status = 'ok'")) == state.spent
    denied = rows(store_url, "status = 'error'")
    assert len(denied) == 150 and {r["denied_by"] for r in denied} == {"daily"}
    assert {r["error_class"] for r in denied} == {"BudgetExceeded"}
    (ok, *_) = rows(store_url, "status = 'ok'")
    decisions = [(d["by"], d["name"], d["decision"]) for d in json.loads(ok["admission"])]
    assert decisions == [("budget", "daily", "reserved"), ("budget", "daily", "settled")]
    assert ok["denied_by"] is None
    asyncio.run(ledger.aclose())


def test_a_reservation_is_settled_to_the_actual_cost_and_released_on_failure(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer]) -> None:
    _, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", 10, 5), BUSY)
    clock = Clock()
    budgets = BudgetPlugin([Budget(name="d", limit="1", window="day")], ledger=store_url, clock=clock)

    async def main() -> None:
        async with client(config, server.url, budgets, routing={"retries": 0}) as c:
            await c.chat("groq/cheap", PROMPT, max_tokens=MAX)
            with pytest.raises(ServerError):
                await c.chat("groq/cheap", PROMPT, max_tokens=MAX)
        await budgets.aclose()

    asyncio.run(main())
    state = states(SqlLedger(store_url), "d", clock)
    # 10 input tokens at $1/M and 5 output at $2/M: the actual cost, not the worst case
    assert (state.spent, state.reserved, state.calls) == (10 * 1000 + 5 * 2000, 0, 1)
    assert nanos_up(cost) > state.spent


def test_a_retry_of_the_same_model_releases_then_reserves_again(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer], rec: Recorder) -> None:
    server = serve(BUSY, reply("cheap", 10, 5))
    plugin = BudgetPlugin([Budget(name="d", limit="1")], ledger=store_url, clock=Clock())

    async def main() -> None:
        async with client(config, server.url, plugin, rec, routing={"retries": 1, "backoff": 0.01}) as c:
            await c.chat("groq/cheap", PROMPT, max_tokens=MAX)
        await plugin.aclose()

    asyncio.run(main())
    (row,) = rows(store_url, "kind = 'chat'")
    decisions = [d["decision"] for d in json.loads(row["admission"])]
    assert decisions == ["reserved", "released", "reserved", "settled"]


def test_a_cancelled_call_settles_what_it_used(store_url: str, config: Path) -> None:
    import time

    from modelplex_testing.compat_server import chunk

    clock = Clock()
    budgets = BudgetPlugin([Budget(name="d", limit="1", window="day")], ledger=store_url, clock=clock)
    slow = Reply.stream([chunk(content="Pa"), chunk(content="ris", finish="stop")], delay=5.0)
    with ScriptedServer([slow]) as server:

        async def consume(c: modelplex.AsyncClient) -> None:
            async with c.stream("groq/cheap", PROMPT, max_tokens=MAX) as events:
                async for _ in events:
                    pass

        async def main() -> None:
            async with client(config, server.url, budgets) as c:
                task = asyncio.create_task(consume(c))
                deadline = time.monotonic() + 5
                while not server.requests and time.monotonic() < deadline:  # noqa: ASYNC110 - another thread's
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            await budgets.aclose()

        asyncio.run(main())
    state = states(SqlLedger(store_url), "d", clock)
    assert state.reserved == 0 and state.calls == 1 and state.spent > 0  # its input, estimated


def test_a_cancelled_chat_settles_its_input_before_any_answer(store_url: str, config: Path) -> None:
    from modelplex_store.db import connect

    from modelplex_testing import FaultServer

    clock = Clock()
    budgets = BudgetPlugin([Budget(name="d", limit="1", window="day")], ledger=store_url, clock=clock)
    with FaultServer(["a"], script={"a": ["slow"]}, slow=5.0) as server:

        async def main() -> None:
            async with client(config, server.url("a"), budgets, routing={"deadline": 1200}) as c:
                task = asyncio.create_task(c.chat("groq/cheap", PROMPT, max_tokens=MAX))
                while not server.requests("a"):  # noqa: ASYNC110 - the server's thread logs it
                    await asyncio.sleep(0.01)
                db = connect(store_url)
                (expires,) = db.execute("SELECT expires_at FROM budget_reservations").fetchone()
                db.close()
                assert expires == int(clock() * 1e6) + 1260 * 10**6  # the call's deadline and a minute
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            await budgets.aclose()

        asyncio.run(main())
    tokens, _ = asyncio.run(worst(config, "groq/cheap"))
    state = states(SqlLedger(store_url), "d", clock)
    # its input, estimated, at $1/M: something, and no more than the worst case's input (no output)
    assert (state.reserved, state.calls) == (0, 1) and 0 < state.spent <= tokens * 1000


def test_a_killed_process_reservation_expires_and_a_restart_refills_nothing(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer]) -> None:
    tokens, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", tokens))
    clock = Clock()
    budget = Budget(name="d", limit=cost * 2, window="day")
    # A process that reserved and died: its reservation holds one worst case until its lease ends.
    from modelplex_store.budgets.windows import bounds

    start, end = bounds("day", clock())
    counter = Counter(budget="d", subject="", window_start=start, window_end=end, limit=nanos_up(cost * 2))
    dead = SqlLedger(store_url)
    now = int(clock() * 1e6)
    assert asyncio.run(dead.reserve("dead-1", [counter], nanos_up(cost), now + 60_000_000, now)) is None

    async def calls(n: int) -> list[Any]:
        plugin = BudgetPlugin([budget], ledger=store_url, clock=clock)  # a new process: nothing in memory
        async with client(config, server.url, plugin) as c:
            out = [await _try(c.chat("groq/cheap", PROMPT, max_tokens=MAX)) for _ in range(n)]
        await plugin.aclose()
        return out

    first = asyncio.run(calls(2))
    assert [isinstance(r, BudgetExceeded) for r in first] == [False, True]  # one fits beside the dead one
    clock.now += 61  # the lease ends
    second = asyncio.run(calls(2))  # a restart: the spend is still there, only the lease gave room back
    assert [isinstance(r, BudgetExceeded) for r in second] == [False, True]
    state = states(SqlLedger(store_url), "d", clock)
    assert (state.spent, state.reserved) == (2 * nanos_up(cost), 0)
    clock.now += 86_400  # the next day's window starts empty
    assert [isinstance(r, BudgetExceeded) for r in asyncio.run(calls(1))] == [False]


async def _try(call: Any) -> Any:
    try:
        return await call
    except BudgetExceeded as exc:
        return exc


def test_an_unknown_price_is_refused_before_sending_unless_allowed_and_then_counted_apart(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer]) -> None:
    server = serve(reply("nobody-prices", 10, 5))
    clock = Clock()
    strict = BudgetPlugin([Budget(name="d", limit="1")], ledger=store_url, clock=clock)

    async def call(plugin: BudgetPlugin) -> Any:
        async with client(config, server.url, plugin) as c:
            result = await _try(c.chat("groq/nobody-prices", PROMPT, max_tokens=MAX))
        await plugin.aclose()
        return result

    refused = asyncio.run(call(strict))
    assert isinstance(refused, BudgetExceeded) and "unknown" in str(refused) and not server.requests
    allowing = Budget(name="d", limit="1", unknown_price="allow")
    lenient = BudgetPlugin([allowing], ledger=store_url, clock=clock)
    assert not isinstance(asyncio.run(call(lenient)), BudgetExceeded)
    state = states(SqlLedger(store_url), "d", clock)
    assert (state.spent, state.unpriced_calls, state.calls, state.reserved) == (0, 1, 1, 0)


def test_a_free_local_model_is_allowed_and_counted(store_url: str, config: Path,
                                                   serve: Callable[..., ScriptedServer]) -> None:
    server = serve(reply("free", 10, 5))
    clock = Clock()
    plugin = BudgetPlugin([Budget(name="d", limit="0")], ledger=store_url, clock=clock)

    async def main() -> None:
        async with client(config, server.url, plugin) as c:
            for _ in range(3):
                await c.chat("groq/free", PROMPT, max_tokens=MAX)
        await plugin.aclose()

    asyncio.run(main())
    state = states(SqlLedger(store_url), "d", clock)
    assert (state.spent, state.calls, state.unpriced_calls) == (0, 3, 0)


def test_a_chain_moves_on_to_a_cheaper_candidate_that_fits_with_the_budget_in_its_trace(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer], rec: Recorder) -> None:
    _, cheap = asyncio.run(worst(config, "groq/cheap"))
    _, dear = asyncio.run(worst(config, "groq/dear"))
    server = serve(reply("cheap", 10, 5))
    clock = Clock()
    limit = (cheap + dear) / 2  # the cheap one fits, the dear one does not
    plugin = BudgetPlugin([Budget(name="team", limit=limit, window="month", scope="tag:team=search")],
                          ledger=store_url, clock=clock)

    async def main() -> Any:
        async with client(config, server.url, plugin, rec, chains={"fb": ["groq/dear", "groq/cheap"]}) as c:
            response = await c.chat("chain/fb", PROMPT, max_tokens=MAX, tags={"team": "search"})
            other = await c.chat("chain/fb", PROMPT, max_tokens=MAX, tags={"team": "ads"})  # out of scope
        await plugin.aclose()
        return response, other

    response, other = asyncio.run(main())
    assert response.trace.answered_by == "groq/cheap"
    (skip,) = response.trace.skipped
    assert skip.model == "groq/dear" and "team" in skip.reason
    assert other.trace.answered_by == "groq/dear"
    assert [r.json["model"] for r in server.requests] == \
        ["cheap", "dear"]  # the dear one was never sent under the budget
    (row, *_) = [r for r in rows(store_url, "kind = 'chat'") if r["tags"] == '{"team":"search"}']
    assert row["route"].startswith("-groq/dear(")
    decisions = [(d["model"], d["decision"]) for d in json.loads(row["admission"])]
    assert decisions == [("groq/dear", "denied"), ("groq/cheap", "reserved"), ("groq/cheap", "settled")]
    assert row["denied_by"] is None  # the call was served: the refusal was of one candidate
    import modelplex_store

    with modelplex_store.open(store_url) as store:  # usage export carries the decisions
        lines = "".join(store.export("jsonl")).splitlines()
    (exported,) = [e for e in map(json.loads, lines) if e["id"] == row["id"]]
    assert exported["admission"] == row["admission"]


def test_a_hard_budget_fails_closed_when_its_ledger_cannot_be_reached(
        config: Path, serve: Callable[..., ScriptedServer]) -> None:
    from modelplex_testing.services import free_port

    server = serve(reply("cheap", 10, 5))
    down = f"postgresql://nobody:pw-S3cret-9@127.0.0.1:{free_port()}/none"

    async def call(budget: Budget) -> Any:
        plugin = BudgetPlugin([budget], ledger=down)
        async with client(config, server.url, plugin) as c:
            result = await _try(c.chat("groq/cheap", PROMPT, max_tokens=MAX))
        await plugin.aclose()
        return result

    refused = asyncio.run(call(Budget(name="d", limit="5")))
    assert isinstance(refused, BudgetUnavailable) and "'d'" in str(refused) and not server.requests
    assert "pw-S3cret-9" not in str(refused)  # the URL's password is scrubbed
    soft = asyncio.run(call(Budget(name="d", limit="5", hard=False)))  # soft budgets never block
    allowed = asyncio.run(call(Budget(name="d", limit="5", on_unavailable="allow")))
    assert not isinstance(soft, BaseException) and not isinstance(allowed, BaseException)
    assert len(server.requests) == 2


def test_a_per_call_limit_bounds_each_worst_case(config: Path, serve: Callable[..., ScriptedServer],
                                                 tmp_path: Path) -> None:
    _, cheap = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", 10, 5))
    plugin = BudgetPlugin([Budget(name="per-call", limit=cheap, window="call")],
                          ledger=f"sqlite:///{tmp_path / 'l.db'}")

    async def main() -> tuple[Any, Any]:
        async with client(config, server.url, plugin) as c:
            fits = await _try(c.chat("groq/cheap", PROMPT, max_tokens=MAX))
            over = await _try(c.chat("groq/cheap", PROMPT, max_tokens=MAX + 1))
        await plugin.aclose()
        return fits, over

    fits, over = asyncio.run(main())
    assert not isinstance(fits, BudgetExceeded) and isinstance(over, BudgetExceeded)
    assert len(server.requests) == 1


def test_the_config_files_budgets_are_enforced_through_the_entry_point(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve: Callable[..., ScriptedServer]) -> None:
    from modelplex_store.budgets import plugin as discovered

    server = serve(reply("cheap", 10, 5))
    path = tmp_path / "budgets.toml"
    path.write_text(CONFIG + f'[providers.groq]\nbase_url = "{server.url}"\n'
                    '[[budgets]]\nname = "groq-off"\nlimit = "0"\nscope = "model:groq/cheap"\n')
    monkeypatch.setenv("MODELPLEX_CONFIG", str(path))
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.delitem(discovered.__dict__, "PLUGIN", raising=False)  # worked out again for this config

    async def main() -> Any:
        async with modelplex.AsyncClient() as c:
            return await _try(c.chat("groq/cheap", PROMPT, max_tokens=MAX))

    refused = asyncio.run(main())
    assert isinstance(refused, BudgetExceeded) and "groq-off" in str(refused) and not server.requests
    path.write_text(CONFIG + f'[providers.groq]\nbase_url = "{server.url}"\n')  # no budgets: idle
    monkeypatch.delitem(discovered.__dict__, "PLUGIN", raising=False)
    assert isinstance(discovered.PLUGIN, discovered.Idle)
    # F4: idle, it hooks no call at all (it had a no-op after_call every call went through).
    from modelplex._plugins import Registry

    assert Registry(env={"MODELPLEX_PLUGINS": "store-budgets"}).lifecycle_plugins["store-budgets"].hooks == ()
    assert not isinstance(asyncio.run(main()), BaseException) and len(server.requests) == 1
