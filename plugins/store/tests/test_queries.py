"""The store's queries from Python (issue 14, items 3 and 5): ``modelplex_store.open(url)`` and its
``logs``, ``usage``, ``export``, ``prune``, ``vacuum``, ``migrate`` and ``path``, on a real SQLite file and
a real PostgreSQL database (``store_url``), over rows written by the recorder's own insert path."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import modelplex_store
import pytest
from modelplex_store.api import Store, StoreUnavailable
from modelplex_store.rows import Record
from seeding import DAY_S, HOUR_S, NOON, call, put, records

from modelplex import Usage
from modelplex.errors import RateLimitError

T0 = "2026-11-10T00:00"  # the day of NOON
T1 = "2026-11-11T00:00"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = modelplex_store.open(store_url)
    yield opened
    opened.close()


# -- logs -------------------------------------------------------------------------------------------
def test_logs_are_the_most_recent_calls_first_and_n_bounds_them(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON + i, model=f"m{i}") for i in range(5)])

    assert [r.model for r in store.logs()] == ["m4", "m3", "m2", "m1", "m0"]
    assert [r.model for r in store.logs(2)] == ["m4", "m3"]


def test_logs_carry_exact_money_and_unknown_cost_as_none(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON, cost="0.000000123"), call(at=NOON + 1, model="mystery", cost=None)])

    unknown, priced = store.logs()
    assert priced.cost == Decimal("0.000000123")
    assert priced.cost_status == "exact"
    assert unknown.cost is None  # never 0
    assert unknown.cost_status == "unknown"
    assert unknown.to_json()["cost"] is None
    assert priced.to_json()["cost"] == "0.000000123"


def test_logs_filter_by_model_provider_status_caller_and_conversation(store: Store, store_url: str) -> None:
    put(store_url, [
        call(at=NOON, provider="openai", model="gpt-4o", caller="alice", tags={"conversation": "c1"}),
        call(at=NOON + 1, provider="azure", model="gpt-4o", status="error", caller="bob"),
        call(at=NOON + 2, provider="anthropic", model="claude-haiku-4-5", status="cancelled", caller="alice",
             tags={"conversation": "c1"}),
    ])

    def models(**filters: object) -> list[str]:
        return [f"{r.provider}/{r.model}" for r in store.logs(**filters)]  # type: ignore[arg-type]

    assert models(model="gpt-4o") == ["azure/gpt-4o", "openai/gpt-4o"]
    assert models(model="openai/gpt-4o") == ["openai/gpt-4o"]
    assert models(provider="anthropic") == ["anthropic/claude-haiku-4-5"]
    assert models(status="error") == ["azure/gpt-4o"]
    assert models(status="cancelled") == ["anthropic/claude-haiku-4-5"]
    assert models(caller="alice") == ["anthropic/claude-haiku-4-5", "openai/gpt-4o"]
    assert models(conversation="c1", model="gpt-4o") == ["openai/gpt-4o"]
    assert models(provider="nobody") == []
    with pytest.raises(ValueError, match="status 'failed'"):
        store.logs(status="failed")


def test_logs_filter_by_a_chain(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON, address="chain/fast"), call(at=NOON + 1)])

    found = store.logs(model="chain/fast")
    assert [(r.requested, r.chain) for r in found] == [("chain/fast", "fast")]


def test_logs_since_and_until_take_spans_dates_and_times(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON - DAY_S, model="yesterday"), call(at=NOON, model="noon"),
                    call(at=NOON + HOUR_S, model="one")])

    assert [r.model for r in store.logs(since=T0)] == ["one", "noon"]
    assert [r.model for r in store.logs(since=T0, until="2026-11-10T12:30")] == ["noon"]
    assert [r.model for r in store.logs(until="2026-11-10 12:00:00")] == ["yesterday"]  # until excludes
    assert [r.model for r in store.logs(since="2w")] == []  # two weeks before today: after all of them
    with pytest.raises(ValueError, match="is not a time"):
        store.logs(since="last tuesday")


def test_search_matches_model_error_class_and_tags_ignoring_case(store: Store, store_url: str) -> None:
    put(store_url, [
        call(at=NOON, model="gpt-4o", tags={"team": "Billing-Ops"}),
        call(at=NOON + 1, model="claude-haiku-4-5", status="error", error=RateLimitError),
        call(at=NOON + 2, model="gpt-4o-mini"),
    ])

    assert [r.model for r in store.logs(search="billing")] == ["gpt-4o"]
    assert [r.model for r in store.logs(search="ratelimit")] == ["claude-haiku-4-5"]
    assert [r.model for r in store.logs(search="4O-MINI")] == ["gpt-4o-mini"]
    assert store.logs(search="nothing like it") == []


def test_search_takes_like_wildcards_literally(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON, tags={"note": "100% sure"}), call(at=NOON + 1, tags={"note": "a_b"}),
                    call(at=NOON + 2, tags={"note": "plain"})])

    assert [r.tags["note"] for r in store.logs(search="0% s")] == ["100% sure"]
    assert [r.tags["note"] for r in store.logs(search="a_b")] == ["a_b"]
    assert store.logs(search="%") != store.logs()  # not "everything"


def test_search_reaches_bodies_only_where_they_are_stored(store: Store, store_url: str) -> None:
    from modelplex import ChatRequest, Message

    info, outcome = call(at=NOON, model="kept")
    request = ChatRequest(model="kept", messages=[Message.user("the zebra question")])
    put(store_url, records([(info._replace(request=request), outcome)], content=True))
    put(store_url, records([call(at=NOON + 1, model="not kept")]))

    assert [r.model for r in store.logs(search="ZEBRA")] == ["kept"]


def test_attempts_are_left_out_unless_asked(store: Store, store_url: str) -> None:
    parent = records([call(at=NOON)])[0]
    attempt = list(parent.calls[0])
    attempt[0], attempt[1], attempt[2] = "attempt-1", parent.id, "attempt"
    put(store_url, [Record(calls=(parent.calls[0], tuple(attempt)))])

    assert [r.kind for r in store.logs()] == ["chat"]
    assert sorted(r.kind for r in store.logs(attempts=True)) == ["attempt", "chat"]


# -- usage ------------------------------------------------------------------------------------------
def test_usage_by_model_counts_calls_errors_tokens_and_exact_cost(store: Store, store_url: str) -> None:
    put(store_url, [
        call(at=NOON, cost="0.000000123", usage=Usage(input=10, cache_read=5, cache_write=3, cache_write_1h=2,
                                                       output=7, reasoning=4)),
        call(at=NOON + 1, cost="0.1", usage=Usage(input=1, output=1)),
        call(at=NOON + 2, status="error"),
        call(at=NOON + 3, status="cancelled", cost="0.000000001", partial=True),
        call(at=NOON + 4, model="mystery", cost=None),
        call(at=NOON + 5, model="mystery", cost=None),
    ])

    report = store.usage(by="model", since=T0, until=T1)
    mini, mystery = report.rows
    assert mini.key == "openai/gpt-4o-mini"
    assert (mini.calls, mini.errors, mini.cancelled) == (4, 1, 1)
    assert (mini.input, mini.cache_read, mini.cache_write, mini.cache_write_1h, mini.output, mini.reasoning) \
        == (10 + 1 + 100, 5, 3, 2, 7 + 1 + 20, 4)
    assert mini.cost == Decimal("0.100000124")  # exact: 0.000000123 + 0.1 + 0 (the error) + 0.000000001
    assert (mini.priced_calls, mini.unpriced_calls) == (4, 0)
    assert mystery.key == "openai/mystery"
    assert mystery.cost is None  # every call unpriced: unknown, not $0
    assert (mystery.priced_calls, mystery.unpriced_calls) == (0, 2)
    assert report.total.cost == Decimal("0.100000124")
    assert report.total.unpriced_calls == 2
    assert report.total.calls == 6
    assert report.to_json()["rows"][1]["cost"] is None
    assert report.to_json()["total"]["cost"] == "0.100000124"


def test_usage_by_provider_day_and_caller(store: Store, store_url: str) -> None:
    put(store_url, [
        call(at=NOON, provider="openai", caller="alice"),
        call(at=NOON + 1, provider="openai", caller="bob"),
        call(at=NOON - DAY_S, provider="anthropic", model="claude-haiku-4-5"),
    ])
    since, until = "2026-11-09", "2026-11-11"

    by_provider = store.usage(by="provider", since=since, until=until)
    assert {r.key: r.calls for r in by_provider.rows} == {"openai": 2, "anthropic": 1}
    by_day = store.usage(by="day", since=since, until=until)
    assert [(r.key, r.calls) for r in by_day.rows] == [("2026-11-09", 1), ("2026-11-10", 2)]
    by_caller = store.usage(by="caller", since=since, until=until)
    assert {r.key: r.calls for r in by_caller.rows} == {"alice": 1, "bob": 1, None: 1}
    with pytest.raises(ValueError, match="usage by 'week'"):
        store.usage(by="week")  # type: ignore[arg-type]


def test_usage_of_one_provider_model_or_caller(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON, provider="openai", model="gpt-4o", caller="alice"),
                    call(at=NOON + 1, provider="azure", model="gpt-4o", caller="alice"),
                    call(at=NOON + 2, provider="openai", model="gpt-4o-mini", caller="bob")])

    def calls(**only: str) -> dict[str | None, int]:
        return {r.key: r.calls for r in store.usage(by="day", **only).rows}

    assert calls(caller="alice") == {"2026-11-10": 2}
    assert calls(model="gpt-4o") == {"2026-11-10": 2}
    assert calls(model="openai/gpt-4o") == {"2026-11-10": 1}
    assert calls(provider="openai") == {"2026-11-10": 2}
    assert calls(provider="openai", caller="bob") == {"2026-11-10": 1}
    assert calls(caller="carol") == {}


def test_usage_windows_are_whole_hours_from_day_and_hour_rollups(store: Store, store_url: str) -> None:
    # A call every 30 minutes over three days: the window from 2026-11-09 22:10 to 2026-11-11 01:50
    # covers the whole day of the 10th (day grain), 22:00-24:00 of the 9th and 00:00-02:00 of the 11th
    # (hour grain).
    start = NOON - 1.5 * DAY_S
    put(store_url, [call(at=start + i * 1800) for i in range(144)])

    report = store.usage(since="2026-11-09T22:10", until="2026-11-11T01:50")
    assert report.total.calls == 2 * 2 + 48 + 2 * 2
    assert (report.since, report.until) == (_micros("2026-11-09T22:00"), _micros("2026-11-11T02:00"))
    assert store.usage(since="2026-11-10T12:00", until="2026-11-10T12:01").total.calls == 2
    assert store.usage().total.calls == 144
    assert store.usage(since="2026-11-10").total.calls == 144 - 24 - 24  # from the 10th's midnight on
    with pytest.raises(ValueError, match="ends"):
        store.usage(since=T1, until=T0)


def _micros(text: str) -> int:
    from modelplex_store.when import to_micros

    return to_micros(text)


def test_usage_percentiles_come_from_the_rollups_not_the_rows(store: Store, store_url: str) -> None:
    latencies = [0.010 * (i + 1) for i in range(100)]  # 10 ms to 1 s
    put(store_url, [call(at=NOON + i, duration=d, ttft=d / 2, kind="stream")
                    for i, d in enumerate(latencies)])
    store.database.execute("DELETE FROM calls")  # the rollups stay; a scan would now find nothing

    row = store.usage(since=T0, until=T1).rows[0]
    assert row.calls == 100
    # Nearest rank: p50 is the 50th value (500 ms), p95 the 95th (950 ms); the bucket edges around them
    # are 500/700 and 700/1000 ms, so the estimates lie within those buckets.
    assert row.latency_p50_ms is not None and 300 < row.latency_p50_ms <= 500
    assert row.latency_p95_ms is not None and 700 < row.latency_p95_ms <= 1000
    assert row.ttft_p50_ms is not None and 200 < row.ttft_p50_ms <= 300
    assert row.latency_mean_ms == pytest.approx(505.0)
    assert sum(row.latency_histogram) == 100


def test_usage_of_an_empty_store_is_empty_not_an_error(store: Store) -> None:
    report = store.usage()
    assert report.rows == ()
    assert report.total.calls == 0
    assert report.total.cost is None
    assert report.total.latency_p50_ms is None


# -- export -----------------------------------------------------------------------------------------
def test_export_csv_is_every_call_oldest_first_with_exact_money(store: Store, store_url: str) -> None:
    made = put(store_url, [call(at=NOON + 1, cost="0.000000123"), call(at=NOON, model="mystery", cost=None),
                           call(at=NOON - DAY_S, model="old")])

    text = "".join(store.export("csv", since=T0))
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [row["model"] for row in lines] == ["mystery", "gpt-4o-mini"]
    assert lines[1]["cost_usd"] == "0.000000123"
    assert lines[0]["cost_usd"] == ""  # unknown: empty, not 0
    assert lines[1]["started_at"] == "2026-11-10T12:00:01Z"
    assert {r.id for r in made} >= {row["id"] for row in lines}


def test_export_jsonl_is_one_object_per_call(store: Store, store_url: str) -> None:
    put(store_url, [call(at=NOON, tags={"team": "ops"}), call(at=NOON + 1, model="mystery", cost=None)])

    objects = [json.loads(line) for line in "".join(store.export("jsonl")).splitlines()]
    assert [o["model"] for o in objects] == ["gpt-4o-mini", "mystery"]
    assert objects[0]["cost_usd"] == "0.001"
    assert objects[1]["cost_usd"] is None
    assert objects[0]["tags"] == {"team": "ops"}
    assert objects[0]["stream"] is False
    with pytest.raises(ValueError, match="export format 'xml'"):
        store.export("xml")  # type: ignore[arg-type]


def test_export_streams_in_batches(store: Store, store_url: str) -> None:
    from modelplex_store.export import BATCH

    put(store_url, [call(at=NOON + i) for i in range(BATCH * 2 + 5)])

    chunks = store.export("jsonl")
    first = next(chunks)
    assert first.count("\n") == BATCH  # handed over before the rest is read
    assert sum(c.count("\n") for c in chunks) == BATCH + 5


# -- prune, vacuum, migrate, path, open -------------------------------------------------------------
def test_prune_deletes_old_calls_with_attempts_and_bodies_and_keeps_the_rollups(store: Store,
                                                                                store_url: str) -> None:
    old = records([call(at=NOON - DAY_S, model="old")], content=True)[0]
    attempt = list(old.calls[0])
    attempt[0], attempt[1], attempt[2] = "old-attempt", old.id, "attempt"
    put(store_url, [Record(calls=(old.calls[0], tuple(attempt)), content=old.content),
                    *records([call(at=NOON, model="new")], content=True)])
    before = store.usage(by="model").to_json()

    assert store.prune("2026-11-10") == 1
    assert [r.model for r in store.logs(attempts=True)] == ["new"]
    contents = store.database.execute("SELECT count(*) FROM call_contents").fetchone()[0]
    assert contents == 1
    assert store.usage(by="model").to_json() == before  # the summaries still cover the pruned day
    assert store.prune("2026-11-10") == 0


def test_vacuum_gives_space_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    put(url, [call(at=NOON + i, tags={"pad": "x" * 2000}) for i in range(500)])
    with modelplex_store.open(url) as store:
        store.prune("2026-12-01")
        grown = (tmp_path / "store.db").stat().st_size
        store.vacuum()
    assert (tmp_path / "store.db").stat().st_size < grown / 4


def test_vacuum_runs_on_both_databases(store: Store, store_url: str) -> None:
    put(store_url, [call()])
    store.vacuum()
    assert len(store.logs()) == 1


def test_migrate_says_where_the_schema_was_and_is(store_url: str) -> None:
    from modelplex_store.schema import VERSION

    with modelplex_store.open(store_url, migrate=False) as store:
        assert store.version() == 0
        assert store.migrate() == (0, VERSION)
        assert store.migrate() == (VERSION, VERSION)


def test_path_is_the_sqlite_file_or_the_url_without_its_password(tmp_path: Path) -> None:
    with modelplex_store.open(f"sqlite:///{tmp_path / 'x.db'}") as store:
        assert store.path() == str(tmp_path / "x.db")
    from modelplex_store.api import location

    assert location("postgresql://me:hunter2@db.example/usage") == "postgresql://me:***@db.example/usage"


def test_open_without_a_url_opens_the_configured_store(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)  # an empty config file
    with modelplex_store.open() as store:  # MODELPLEX_DATA_DIR is the test's (conftest)
        assert store.path() == str(tmp_path / "modelplex-data" / "logs.db")
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with modelplex_store.open() as store:
        assert store.path() == str(tmp_path / "elsewhere.db")


def test_a_database_that_is_down_is_named_with_its_password_masked() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        modelplex_store.open("postgresql://me:hunter2@127.0.0.1:1/usage")
    assert "postgresql://me:***@127.0.0.1:1/usage" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_query_failing_midway_is_store_unavailable_naming_the_store(pg_url: str) -> None:
    store = modelplex_store.open(pg_url)
    store.database.conn.close()  # the server went away under an open store
    with pytest.raises(StoreUnavailable, match="reading the calls in the store postgresql://"):
        store.logs()
