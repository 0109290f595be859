"""Budgets as declared (issue 15, item 1): ``[[budgets]]`` parsed with errors naming the entry, scopes
matching candidates and calls (a counter per value with ``*``), calendar windows in UTC from the clock
alone, and the ledger's settings."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_store.budgets import Budget, budgets_from
from modelplex_store.budgets.admitter import _dollars, nanos_down, nanos_up
from modelplex_store.budgets.plugin import ledger_settings
from modelplex_store.budgets.windows import bounds

from modelplex.errors import ConfigurationError


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC).timestamp()


def micros(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(at(year, month, day, hour)) * 1_000_000


def test_a_budgets_table_becomes_exact_budgets_with_the_defaults() -> None:
    (daily, agents) = budgets_from({"budgets": [
        {"name": "daily", "limit": 0.1},
        {"name": "agents", "limit": "2.50", "window": "month", "scope": "agent:*", "hard": False,
         "alerts": [90, 50], "on_unavailable": "allow", "unknown_price": "allow", "exempt": ["admin"]}]})
    assert (daily.limit, daily.window, str(daily.scope), daily.hard, daily.alerts) == \
        (Decimal("0.1"), "day", "all", True, (50, 80, 100))  # a float through its shortest text
    assert (daily.on_unavailable, daily.unknown_price, daily.exempt) == ("deny", "deny", ())
    assert (agents.limit, agents.alerts, agents.hard, agents.exempt) == (Decimal("2.50"), (50, 90), False,
                                                                         ("admin",))


@pytest.mark.parametrize(("entry", "fragment"), [
    ({"name": "x"}, "'limit' (dollars) is required"),
    ({"name": "x", "limit": "-1"}, ">= 0"),
    ({"name": "x", "limit": "lots"}, "amount in dollars"),
    ({"name": "x", "limit": 1, "window": "week"}, "window must be one of"),
    ({"name": "x", "limit": 1, "scope": "team:a"}, "KIND:VALUE"),
    ({"name": "x", "limit": 1, "scope": "tag:team"}, "tag:NAME=VALUE"),
    ({"name": "x", "limit": 1, "alerts": [0]}, "percentages"),
    ({"name": "x", "limit": 1, "on_unavailable": "maybe"}, "'deny' or 'allow'"),
    ({"name": "x", "limit": 1, "hard": "yes"}, "'hard' must be true or false"),
    ({"name": "x", "limit": 1, "budget": 2}, "unknown setting(s) ['budget']"),
])
def test_a_mistake_is_one_error_naming_the_entry(entry: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        budgets_from({"budgets": [{"name": "ok", "limit": 1}, entry]})
    assert "[[budgets]] #2 ('x')" in str(caught.value) and fragment in str(caught.value)


def test_two_budgets_of_one_name_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="used twice"):
        budgets_from({"budgets": [{"name": "a", "limit": 1}, {"name": "a", "limit": 2}]})


@pytest.mark.parametrize(("scope", "provider", "model", "tags", "caller", "subject"), [
    ("all", "openai", "gpt-4o", {}, None, ""),
    ("provider:openai", "openai", "gpt-4o", {}, None, ""),
    ("provider:openai", "groq", "x", {}, None, None),
    ("model:openai/gpt-4o*", "openai", "gpt-4o-mini", {}, None, ""),
    ("model:openai/gpt-4o*", "openai", "o3", {}, None, None),
    ("tag:team=search", "a", "b", {"team": "search"}, None, ""),
    ("tag:team=search", "a", "b", {"team": "ads"}, None, None),
    ("tag:team=*", "a", "b", {"team": "ads"}, None, "ads"),
    ("agent:*", "a", "b", {"agent": "triage"}, None, "triage"),
    ("agent:*", "a", "b", {}, None, None),  # no agent: outside the budget
    ("conversation:c-1", "a", "b", {"conversation_id": "c-1"}, None, ""),
    ("caller:alice", "a", "b", {}, "alice", ""),
    ("caller:*", "a", "b", {}, "bob", "bob"),
    ("key:*", "a", "b", {"key": "k-1"}, None, "k-1"),
])
def test_a_scope_gives_a_candidate_its_counter_or_none(scope: str, provider: str, model: str,
                                                       tags: dict[str, str], caller: str | None,
                                                       subject: str | None) -> None:
    assert Budget(name="b", limit=1, scope=scope).subject(provider, model, tags, caller) == subject


def test_a_run_budget_counts_per_run_and_an_exempt_caller_only_when_listed() -> None:
    run = Budget(name="r", limit=1, window="run")
    assert run.subject("a", "b", {"run": "r-7"}, None) == "r-7"
    assert run.subject("a", "b", {}, None) is None
    per_agent_run = Budget(name="r", limit=1, window="run", scope="agent:*")
    assert per_agent_run.subject("a", "b", {"run": "r-7", "agent": "x"}, None) == "x|r-7"
    admin = Budget(name="d", limit=1)
    assert admin.subject("a", "b", {}, "admin") == ""  # no exemption unless configured
    assert Budget(name="d", limit=1, exempt=("admin",)).subject("a", "b", {}, "admin") is None


def test_windows_are_calendar_utc_from_the_clock() -> None:
    assert bounds("hour", at(2026, 12, 1, 18, 59, 59)) == (micros(2026, 12, 1, 18), micros(2026, 12, 1, 19))
    assert bounds("day", at(2026, 12, 31, 23, 0)) == (micros(2026, 12, 31), micros(2027, 1, 1))
    assert bounds("month", at(2026, 12, 15)) == (micros(2026, 12, 1), micros(2027, 1, 1))
    assert bounds("month", at(2027, 2, 28, 12)) == (micros(2027, 2, 1), micros(2027, 3, 1))
    assert bounds("total", at(2026, 1, 1)) == bounds("total", at(2030, 1, 1)) == (0, None)


def test_the_ledger_is_the_store_by_default_or_redis_when_named() -> None:
    env = {"MODELPLEX_DATA_DIR": "/data"}
    assert ledger_settings({}, env) == ("/data/logs.db", "modelplex", None)  # lease: from the deadline
    pg = {"store": {"url": "postgresql://db/x"}}
    assert ledger_settings(pg, env)[0] == "postgresql://db/x"
    shared = {"redis": "redis://r:6379/0", "redis_prefix": "app",
              "budget_ledger": {"url": "redis", "lease": 60}}
    assert ledger_settings(shared, env) == ("redis://r:6379/0", "app", 60.0)
    with pytest.raises(ConfigurationError, match="top-level 'redis'"):
        ledger_settings({"budget_ledger": {"url": "redis"}}, env)
    with pytest.raises(ConfigurationError, match="lease"):
        ledger_settings({"budget_ledger": {"lease": 0}}, env)


@given(st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False, places=12),
       st.integers(min_value=0, max_value=10**18))
def test_money_becomes_nano_dollars_exactly_whatever_the_applications_decimal_context(
        dollars: Decimal, nanos: int) -> None:
    """Reservations and limits in nano-dollars, and the dollars a status shows, are exact under an
    application's ``prec=2`` with ``Inexact`` and ``Rounded`` trapped (it reaches the calls' tasks)."""
    with decimal.localcontext(prec=200):
        exact = dollars * 1_000_000_000
        shown = Decimal(nanos) / 1_000_000_000
    with decimal.localcontext(prec=2, traps=[decimal.Inexact, decimal.Rounded]):
        up, down, back = nanos_up(dollars), nanos_down(dollars), _dollars(nanos)
    assert up == math.ceil(exact) and down == math.floor(exact)
    assert back == shown
