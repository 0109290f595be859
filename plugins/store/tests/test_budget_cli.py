"""``modelplex budgets [set|rm|history]`` (issue 15, item 6) through the ``modelplex`` command, the store
plugin found by its entry point: each budget's limit, spent, reserved, window, reset time and alerts fired
(``--json`` too); changes made through the command recorded with who, when, before and after. On SQLite
and PostgreSQL (``store_url``, given as ``MODELPLEX_STORE_URL``: the default ledger is the store).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from modelplex_store.budgets.ledger import Counter
from modelplex_store.budgets.sql import SqlLedger
from modelplex_store.budgets.windows import bounds

from modelplex._cli import cli


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('# my budgets\ndefault_model = "groq/x"\n')
    monkeypatch.setenv("MODELPLEX_CONFIG", str(path))
    return path


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"MODELPLEX_STORE_URL": url}, catch_exceptions=False)


def test_set_change_and_remove_are_recorded_with_who_when_before_and_after(store_url: str,
                                                                           config: Path) -> None:
    started = time.time()
    added = run(store_url, "budgets", "set", "daily", "--limit", "5", "--scope", "provider:groq",
                "--who", "alice")
    assert added.exit_code == 0, added.output
    changed = run(store_url, "budgets", "set", "daily", "--limit", "7.50", "--soft", "--who", "bob")
    assert changed.exit_code == 0 and "changed budget 'daily'" in changed.output
    text = config.read_text()
    assert text.startswith("# my budgets\n") and "[[budgets]]" in text and 'limit = "7.50"' in text
    assert run(store_url, "budgets", "rm", "daily", "--who", "carol").exit_code == 0
    assert "[[budgets]]" not in config.read_text()
    result = run(store_url, "budgets", "history", "--json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.output)
    assert [(h["who"], h["budget"]) for h in history] == \
        [("alice", "daily"), ("bob", "daily"), ("carol", "daily")]
    assert history[0]["before"] is None and history[0]["after"]["limit"] == "5"
    assert history[0]["after"]["scope"] == "provider:groq" and history[0]["after"]["hard"] is True
    assert (history[1]["before"]["limit"], history[1]["after"]["limit"], history[1]["after"]["hard"]) == \
        ("5", "7.50", False)
    assert history[2]["before"]["limit"] == "7.50" and history[2]["after"] is None
    assert all(started - 1 <= h["at"] <= time.time() + 1 for h in history)


def test_budgets_shows_limit_spent_reserved_window_reset_and_alerts_fired(store_url: str,
                                                                          config: Path) -> None:
    config.write_text(config.read_text() + '[[budgets]]\nname = "daily"\nlimit = "1"\nwindow = "day"\n'
                      '[[budgets]]\nname = "agents"\nlimit = "2"\nwindow = "month"\nscope = "agent:*"\n'
                      '[[budgets]]\nname = "each"\nlimit = "0.10"\nwindow = "call"\n')
    now = time.time()
    start, end = bounds("day", now)
    daily = Counter(budget="daily", subject="", window_start=start, window_end=end, limit=10**9,
                    alerts=(50, 80, 100))
    m_start, m_end = bounds("month", now)
    triage = Counter(budget="agents", subject="triage", window_start=m_start, window_end=m_end,
                     limit=2 * 10**9)

    async def spend() -> None:
        ledger = SqlLedger(store_url)
        at = int(now * 1e6)
        await ledger.reserve("a", [daily], 600_000_000, at + 60_000_000, at)
        await ledger.settle("a", [daily], 600_000_000, at)  # 60%: the 50% alert fires
        await ledger.reserve("b", [daily], 100_000_000, at + 600_000_000, at)  # in flight
        await ledger.reserve("c", [triage], 5, at + 60_000_000, at)
        await ledger.settle("c", [triage], None, at)  # an unknown price, counted apart
        await ledger.aclose()

    asyncio.run(spend())
    result = run(store_url, "budgets", "--json")
    assert result.exit_code == 0, result.output
    assert end is not None and m_end is not None
    listed = json.loads(result.output)
    found: dict[tuple[str, str | None], Any] = {(b["name"], b.get("subject")): b for b in listed}
    d = found[("daily", "")]
    assert (d["limit"], d["spent"], d["reserved"], d["left"], d["calls"]) == ("1", "0.6", "0.1", "0.3", 1)
    assert d["alerts_fired"] == [50] and d["resets_at"] == end / 1e6 and d["window_start"] == start / 1e6
    t = found[("agents", "triage")]
    assert (t["spent"], t["unpriced_calls"], t["calls"], t["resets_at"]) == ("0", 1, 1, m_end / 1e6)
    assert found[("each", None)]["window"] == "call"
    text = run(store_url, "budgets")
    assert text.exit_code == 0
    assert "daily  all  hard, $1 per day" in text.output and "alerts fired: 50%" in text.output
    assert "agents [triage]" in text.output and "(+1 unpriced)" in text.output


def test_a_ledger_that_cannot_be_reached_is_one_error_line(config: Path) -> None:
    from modelplex_testing.services import free_port

    config.write_text(config.read_text() + f'[budget_ledger]\nurl = "redis://127.0.0.1:{free_port()}/0"\n'
                      '[[budgets]]\nname = "daily"\nlimit = "1"\n')
    result = CliRunner().invoke(cli, ["budgets"], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "budget ledger" in line and "[budget_ledger]" in line
