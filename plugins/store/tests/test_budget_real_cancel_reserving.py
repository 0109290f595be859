"""A call cancelled while its reservation is being taken (issue 15: "a cancelled call settles what it
used"; reservations expire only as a last resort, for a killed process).

The SQL ledger takes a reservation in a worker thread; here another connection holds the lock the ledger
needs (PostgreSQL: the counter's row, ``FOR UPDATE``; SQLite: the write lock, ``BEGIN IMMEDIATE``), so the
call is certainly inside its reservation when its caller cancels it. Once the lock is let go, nothing may
stay reserved: a reservation committed by the worker thread after its call was cancelled would hold its
worst case for the whole lease (ten minutes by default), budget room that no call uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from loadgen import connect
from modelplex_store.budgets import Budget, BudgetPlugin
from test_budgets import CONFIG, MAX, PROMPT, client, reply

from modelplex_testing import ScriptedServer


@contextlib.contextmanager
def locked(url: str) -> Iterator[Callable[[], None]]:
    """Hold the lock a reservation of budget ``all`` needs; yields what lets it go."""
    if url.startswith("sqlite:///"):
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        conn = psycopg.connect(url)
        conn.execute("SELECT spent_nanos FROM budget_counters WHERE budget = 'all' FOR UPDATE")
    try:
        yield conn.commit if not url.startswith("sqlite") else (lambda: conn.execute("COMMIT"))
    finally:
        conn.close()


def reservations(url: str) -> int:
    """How many reservations the ledger holds, expired or not (plain SQL)."""
    with connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM budget_reservations").fetchone()[0])


def test_a_call_cancelled_while_reserving_leaves_no_reservation(store_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    plugin = BudgetPlugin([Budget(name="all", limit="1000", window="total")], ledger=store_url)
    with ScriptedServer([reply("cheap", 10, MAX)]) as server:

        async def main() -> Any:
            async with client(config, server.url, plugin) as c:
                await c.chat("groq/cheap", PROMPT, max_tokens=MAX)  # the counter's row exists
                with locked(store_url) as let_go:
                    task = asyncio.create_task(c.chat("groq/cheap", PROMPT, max_tokens=MAX))
                    await asyncio.sleep(0.5)  # it waits for the lock, inside its reservation
                    task.cancel()
                    await asyncio.sleep(0.2)
                    let_go()
                    outcome = await asyncio.gather(task, return_exceptions=True)
                await asyncio.sleep(0.5)  # a worker thread still busy has ended by now
            await plugin.aclose()
            return outcome[0]

        outcome = asyncio.run(main())
        sent = len(server.requests)
    assert isinstance(outcome, asyncio.CancelledError), outcome
    assert sent == 1  # the cancelled call sent nothing
    assert reservations(store_url) == 0
