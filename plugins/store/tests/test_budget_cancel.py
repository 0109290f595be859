"""Calls cancelled at their start, in one process, on each ledger (issue 15: "a cancelled call settles
what it used"): the cancellation lands on the budget's reservation (its worker thread, or redis-py's
first wait), and the call raises it, sends nothing, holds no reservation and is recorded as costing
nothing. B2's proofs under load, with many processes, are ``test_budget_real_cancel*``.

What this catches: redis-py 8.1.0 swallows a cancellation on a command's first wait, so the call went
on and was sent; a reservation committed after its call was cancelled was never given back; and under
trio, whose cancellation waits for the SQL ledger's worker thread and is raised at the next checkpoint,
the call went on to its attempt and was counted as if its prompt had been sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from exchange import recorder, rows
from modelplex_store.budgets import Budget, BudgetPlugin
from modelplex_store.budgets.ledger import Counter
from modelplex_store.budgets.sql import SqlLedger
from test_budget_real_cancel_reserving import locked, reservations
from test_budgets import CONFIG, MAX, PROMPT, client, reply

from modelplex_testing import ScriptedServer
from modelplex_testing.services import RedisServer

CANCELLED = 10
ALL = Counter(budget="all", subject="", window_start=0, window_end=None, limit=0)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh ledger of each kind in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    elif request.param == "postgresql":
        yield str(request.getfixturevalue("pg_url"))
    else:
        if not RedisServer.available():
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        with RedisServer() as server:
            yield server.url


def test_calls_cancelled_on_their_reservation_send_nothing_hold_nothing_and_cost_nothing(
        ledger_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    rec = recorder(store, tmp_path / "data")
    plugin = BudgetPlugin([Budget(name="all", limit="1000", window="total")], ledger=ledger_url)
    with ScriptedServer([reply("cheap", 10, MAX)]) as server:

        async def main() -> tuple[list[BaseException | object], int, int]:
            async with client(config, server.url, plugin, rec) as c:
                await c.chat("groq/cheap", PROMPT, max_tokens=MAX)  # warm: connected, the counter made
                outcomes: list[BaseException | object] = []
                for _ in range(CANCELLED):
                    task = asyncio.ensure_future(c.chat("groq/cheap", PROMPT, max_tokens=MAX))
                    await asyncio.sleep(0)  # it runs to its first wait: the reservation
                    task.cancel()
                    outcomes += await asyncio.gather(task, return_exceptions=True)
                [state] = await plugin.admitter.ledger.states([ALL], 0)
            await plugin.aclose()
            return outcomes, state.spent, state.reserved

        outcomes, spent, reserved = asyncio.run(main())
        sent = len(server.requests)
    rec.close()
    went_on = [o for o in outcomes if not isinstance(o, asyncio.CancelledError)]
    assert went_on == [], f"{len(went_on)} of {CANCELLED} calls went on after their caller cancelled them"
    assert sent == 1
    assert reserved == 0
    found = rows(store, "parent_id IS NULL AND kind <> 'attempt'")
    assert sorted(r["status"] for r in found) == ["cancelled"] * CANCELLED + ["ok"]
    assert sum(r["cost_nanos"] or 0 for r in found) == spent > 0


def test_under_trio_a_call_cancelled_while_reserving_is_not_counted_and_holds_nothing(
        store_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    plugin = BudgetPlugin([Budget(name="all", limit="1000", window="total")], ledger=store_url)
    with ScriptedServer([reply("cheap", 10, MAX)]) as server:

        async def main() -> tuple[bool, int, int, int]:
            async with client(config, server.url, plugin) as c:
                await c.chat("groq/cheap", PROMPT, max_tokens=MAX)  # the counter's row exists
                [before] = await plugin.admitter.ledger.states([ALL], 0)
                scope = trio.CancelScope()

                async def call() -> None:
                    with scope:
                        await c.chat("groq/cheap", PROMPT, max_tokens=MAX)

                with locked(store_url) as let_go:
                    async with trio.open_nursery() as nursery:
                        nursery.start_soon(call)
                        await trio.sleep(0.5)  # it waits for the lock, inside its reservation
                        scope.cancel()
                        await trio.sleep(0.2)
                        let_go()  # the worker thread reserves; the call's cancellation is raised now
                [after] = await plugin.admitter.ledger.states([ALL], 0)
            await plugin.aclose()
            return scope.cancelled_caught, before.spent, after.spent, after.reserved

        cancelled, before, after, reserved = trio.run(main)
        sent = len(server.requests)
    assert cancelled
    assert sent == 1
    assert (after, reserved) == (before, 0)


@pytest.mark.parametrize("waited", [0.0, 0.1], ids=["at-its-first-await", "while-it-waits"])
def test_a_ledger_operation_whose_caller_is_cancelled_while_it_waits_its_turn_still_runs(
        store_url: str, waited: float) -> None:
    # A release (or a settlement) behind a reservation that waits for the database's lock: its caller is
    # cancelled (a timeout). A ledger that dropped it (a queue of its own, cancelled with its caller)
    # would leave its reservation counted until the lease ends. Cancelled at its first await, it found
    # anyio.to_thread's checkpoint and never reached a thread (as on CI, a loaded machine, 0.1 s late).
    ledger = SqlLedger(store_url)
    counter = Counter(budget="all", subject="", window_start=0, window_end=None, limit=10**12)

    async def main() -> None:
        await ledger.reserve("first", [counter], 1000, 2**62, 1)
        with locked(store_url) as let_go:
            second = asyncio.ensure_future(ledger.reserve("second", [counter], 1000, 2**62, 1))
            await asyncio.sleep(0.3)  # it waits for the lock in the ledger's thread
            release = asyncio.ensure_future(ledger.release("first", [counter]))
            await asyncio.sleep(waited)  # 0: one step, to its first await
            release.cancel()
            await asyncio.gather(release, return_exceptions=True)
            let_go()
            await second
        await ledger.release("second", [counter])  # after the first's release, in the ledger's order
        await ledger.aclose()

    asyncio.run(main())
    assert reservations(store_url) == 0
