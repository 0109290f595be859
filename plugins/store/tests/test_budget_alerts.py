"""Budget alerts (issue 15, item 4) on the wire: each threshold fires once per budget and window, whichever
of two clients sharing the ledger (as two processes do) crossed it, through the ``modelplex_budget_alert``
hook of another plugin, a structured log event and, under the command line, a line on stderr; a fake clock
moves the window and the thresholds fire again; a soft budget alerts and never blocks. On SQLite and
PostgreSQL (``store_url``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from exchange import KEY
from modelplex_groq.plugin import PLUGIN as GROQ
from modelplex_store.budgets import Budget, BudgetAlert, BudgetPlugin, alerts
from test_budgets import CONFIG, MAX, PROMPT, Clock, reply, worst

import modelplex
from modelplex.hookspecs import hookimpl
from modelplex_testing import ScriptedServer, serving
from modelplex_testing.logs import captured_logs


class Listener:
    """A notifier: a plugin that implements the alert hook alone."""

    def __init__(self) -> None:
        self.heard: list[BudgetAlert] = []

    @hookimpl
    def modelplex_budget_alert(self, alert: BudgetAlert) -> None:
        self.heard.append(alert)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def test_each_threshold_fires_once_per_window_across_clients_sharing_the_ledger(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    tokens, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", tokens))  # each call costs exactly its worst case
    clock = Clock(1_790_000_000.0 - 1_790_000_000.0 % 86_400 + 3600)  # 01:00 UTC
    budget = Budget(name="daily", limit=cost * 10, window="day", hard=False)  # soft: alerts, never blocks
    monkeypatch.setattr(alerts, "CLI", True)
    listeners = [Listener(), Listener()]

    def client(listener: Listener, plugin: BudgetPlugin) -> modelplex.AsyncClient:
        return modelplex.AsyncClient(plugins={"groq": GROQ, "budgets": plugin, "notify": listener},
                                     autoload=False, config_file=config, env={},
                                     providers={"groq": {"api_key": KEY, "base_url": server.url}})

    async def day(calls: int) -> None:
        plugins = [BudgetPlugin([budget], ledger=store_url, clock=clock) for _ in listeners]
        async with client(listeners[0], plugins[0]) as a, client(listeners[1], plugins[1]) as b:
            await asyncio.gather(*((a if i % 2 else b).chat("groq/cheap", PROMPT, max_tokens=MAX)
                                   for i in range(calls)))
        for plugin in plugins:
            await plugin.aclose()

    with captured_logs() as logged:
        asyncio.run(day(14))  # 140%: a soft budget lets every call through
    # Once each, in no set order: the two clients settle their calls at the same time, and the one that
    # crossed 100% may log before the other has logged its 80% (seen on CI: 50, 100, 80).
    events = sorted((e for e in logged if e["event"] == "budget_alert"), key=lambda e: int(e["threshold"]))
    assert [(e["budget"], e["threshold"], e["log_level"]) for e in events] == \
        [("daily", 50, "warning"), ("daily", 80, "warning"), ("daily", 100, "warning")]
    assert len(server.requests) == 14
    heard = sorted(listeners[0].heard + listeners[1].heard, key=lambda a: a.threshold)
    assert [a.threshold for a in heard] == [50, 80, 100]  # once each, by whichever client crossed it
    assert all(a.budget == "daily" and a.limit == cost * 10 and not a.hard for a in heard)
    assert [a.spent >= a.limit * a.threshold / 100 for a in heard] == [True] * 3
    assert heard[0].resets_at == clock.now - 3600 + 86_400
    lines = [line for line in capsys.readouterr().err.splitlines() if "budget 'daily'" in line]
    assert len(lines) == 3
    assert sorted(int(n) for line in lines for n in re.findall(r"reached (\d+)%", line)) == [50, 80, 100]
    clock.now += 86_400  # the next day: a new window, the thresholds fire again
    asyncio.run(day(6))
    everything = listeners[0].heard + listeners[1].heard
    later = [a.threshold for a in everything if a.window_start > heard[0].window_start]
    assert later == [50]


def test_a_hard_budget_at_its_limit_fires_100_percent_once_and_refuses_the_next_call(
        store_url: str, config: Path, serve: Callable[..., ScriptedServer]) -> None:
    tokens, cost = asyncio.run(worst(config, "groq/cheap"))
    server = serve(reply("cheap", tokens))
    listener = Listener()
    plugin = BudgetPlugin([Budget(name="h", limit=cost * 2, window="total", alerts=[100])], ledger=store_url)

    async def main() -> list[Any]:
        async with modelplex.AsyncClient(plugins={"groq": GROQ, "budgets": plugin, "notify": listener},
                                         autoload=False, config_file=config, env={},
                                         providers={"groq": {"api_key": KEY, "base_url": server.url}}) as c:
            out: list[Any] = []
            for _ in range(3):
                try:
                    out.append(await c.chat("groq/cheap", PROMPT, max_tokens=MAX))
                except modelplex.errors.BudgetExceeded as exc:
                    out.append(exc)
        await plugin.aclose()
        return out

    results = asyncio.run(main())
    assert [type(r).__name__ for r in results] == ["ChatResponse", "ChatResponse", "BudgetExceeded"]
    assert [(a.threshold, a.spent, a.resets_at) for a in listener.heard] == [(100, cost * 2, None)]
    assert results[2].resets_at is None and results[2].spent == cost * 2 and results[2].reserved == Decimal(0)
