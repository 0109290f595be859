"""The rollups always equal a recomputation from the raw rows (issue 14, item 3), on SQLite and on
PostgreSQL: after any sequence of calls written by the recorder's insert path in groups, some delivered
twice (a spool replayed after a crash between the store's commit and the spool's delete), the
``rollups`` table holds exactly the counts, tokens, cost and latency histograms of the ``calls`` rows;
and ``usage`` over any window, by any key, reads the same figures as the rows of that window give."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelplex_store.db import Database, connect
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.queries import USAGE_BY, dollars, usage
from modelplex_store.rows import Record
from modelplex_store.schema import CALLS, LATENCY_EDGES_MS, ROLLUP_KEY, ROLLUP_SUMS, TOKEN_BUCKETS
from seeding import DAY_S, HOUR_S, NOON, call, records

from modelplex import CallInfo, CallOutcome, Usage

HOUR_US, DAY_US = 3_600_000_000, 86_400_000_000
PROFILE = settings(max_examples=100, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Times around NOON over four days, with a liking for the edges of hours and days.
_edges = st.sampled_from([0.0, 1e-6, HOUR_S - 1e-6, HOUR_S, 12 * HOUR_S - 1e-6, 12 * HOUR_S])
_times = st.one_of(st.floats(min_value=-2 * DAY_S, max_value=2 * DAY_S, allow_nan=False),
                   st.builds(lambda e, d: e + d * HOUR_S, _edges, st.integers(-48, 47)))
_latency = st.one_of(st.floats(min_value=0, max_value=900.0, allow_nan=False),
                     st.sampled_from([edge / 1000 for edge in LATENCY_EDGES_MS]))  # on the edges exactly
_cost = st.one_of(st.none(), st.integers(0, 50_000_000).map(lambda n: str(Decimal(n).scaleb(-9))))
_usage = st.builds(Usage, input=st.integers(0, 5000), cache_read=st.integers(0, 900),
                   cache_write=st.integers(0, 90), cache_write_1h=st.integers(0, 9),
                   output=st.integers(0, 3000), reasoning=st.integers(0, 700), estimated=st.booleans())


@st.composite
def calls(draw: st.DrawFn) -> tuple[CallInfo, CallOutcome]:
    kind = draw(st.sampled_from(["chat", "stream", "embed"]))
    return call(at=NOON + draw(_times), provider=draw(st.sampled_from(["openai", "groq"])),
                model=draw(st.sampled_from(["m1", "m2"])),
                status=draw(st.sampled_from(["ok", "ok", "error", "cancelled"])), usage=draw(_usage),
                cost=draw(_cost), duration=draw(_latency),
                ttft=draw(_latency) if kind == "stream" and draw(st.booleans()) else None,
                caller=draw(st.sampled_from([None, "alice", "bob"])), kind=kind)


def _spooled(record: Record) -> Record:
    """``record`` as the spool gives it back: written as JSON, read again."""
    return Record.from_json(record.to_json())


@st.composite
def deliveries(draw: st.DrawFn) -> list[list[Record]]:
    """The made records in groups, some straight from the writer, some through the spool's JSON, and
    some groups holding records already delivered once, replayed from the spool."""
    made = records(draw(st.lists(calls(), min_size=1, max_size=40)))
    groups: list[list[Record]] = []
    rest = list(made)
    while rest:
        size = draw(st.integers(1, max(1, len(rest))))
        group, rest = rest[:size], rest[size:]
        if draw(st.booleans()):
            group = [_spooled(r) for r in group]
        delivered = [r for g in groups for r in g]
        if delivered:
            group += [_spooled(r) for r in draw(st.lists(st.sampled_from(delivered), max_size=3))]
        groups.append(group)
    return groups


def _bucket(micros: int) -> int:
    """A duration's histogram bucket, from the documented edges alone: ``edges[i-1] < ms <= edges[i]``."""
    ms = micros / 1000
    for index, edge in enumerate(LATENCY_EDGES_MS):
        if ms <= edge:
            return index
    return len(LATENCY_EDGES_MS)


def _sums(row: dict[str, Any]) -> dict[str, int]:
    sums = dict.fromkeys(ROLLUP_SUMS, 0)
    sums["calls"] = 1
    sums["errors"] = int(row["status"] == "error")
    for bucket in TOKEN_BUCKETS:
        sums[bucket] = row[bucket]
    sums["estimated_calls"] = row["usage_estimated"]
    if row["cost_nanos"] is None:
        sums["unpriced_calls"] = 1
    else:
        sums["priced_calls"] = 1
        sums["cost_nanos"] = row["cost_nanos"]
    sums["duration_us"] = row["duration_us"]
    sums[f"lat_{_bucket(row['duration_us']):02d}"] = 1
    if row["ttft_us"] is not None:
        sums["ttft_calls"] = 1
        sums["ttft_us"] = row["ttft_us"]
        sums[f"ttft_{_bucket(row['ttft_us']):02d}"] = 1
    return sums


def _add(total: dict[str, int], sums: dict[str, int]) -> None:
    for name, value in sums.items():
        total[name] = total.get(name, 0) + value


def recomputed(rows: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, int]]:
    """The rollups, worked out again from the call rows."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row["kind"] == "attempt":
            continue
        for grain, width in (("hour", HOUR_US), ("day", DAY_US)):
            start = row["started_at"] // width * width
            key = (grain, start, row["provider"] or "", row["model"] or "", row["status"],
                   row["caller"] or "")
            _add(out[key], _sums(row))
    return dict(out)


def _rows(db: Database) -> list[dict[str, Any]]:
    found = db.execute(f"SELECT {', '.join(CALLS.names)} FROM calls").fetchall()
    return [dict(zip(CALLS.names, r, strict=True)) for r in found]


def _rollups(db: Database) -> dict[tuple[Any, ...], dict[str, int]]:
    found = db.execute(f"SELECT {', '.join((*ROLLUP_KEY, *ROLLUP_SUMS))} FROM rollups").fetchall()
    width = len(ROLLUP_KEY)
    return {tuple(r[:width]): {k: int(v) for k, v in zip(ROLLUP_SUMS, r[width:], strict=True)} for r in found}


def _fresh(url: str) -> Database:
    db = connect(url)
    migrate(db)
    with db.transaction():
        for table in ("call_contents", "calls", "rollups"):
            db.execute(f"DELETE FROM {table}")
    return db


def _check(url: str, groups: list[list[Record]], window: tuple[float, float], by: str,
           caller: str | None = None) -> None:
    db = _fresh(url)
    try:
        for group in groups:
            deliver(db, group)
        rows = _rows(db)
        assert len(rows) == len({r.id for g in groups for r in g})  # each call once, duplicates ignored
        expected = recomputed(rows)
        assert _rollups(db) == {k: {n: v.get(n, 0) for n in ROLLUP_SUMS} for k, v in expected.items()}

        # usage() over a window reads what the rows of its whole hours give.
        since, until = round((NOON + window[0]) * 1e6), round((NOON + window[1]) * 1e6)
        report = usage(db, by=by, since=since, until=until, caller=caller)  # type: ignore[arg-type]
        assert report.since is not None and report.until is not None
        inside = [r for r in rows if report.since <= r["started_at"] < report.until
                  and r["kind"] != "attempt" and (caller is None or r["caller"] == caller)]
        total: dict[str, int] = {}
        for row in inside:
            _add(total, _sums(row))
        got = report.total
        assert got.calls == total.get("calls", 0)
        assert got.errors == total.get("errors", 0)
        assert got.cancelled == sum(1 for r in inside if r["status"] == "cancelled")
        assert [getattr(got, b) for b in TOKEN_BUCKETS] == [total.get(b, 0) for b in TOKEN_BUCKETS]
        assert got.unpriced_calls == total.get("unpriced_calls", 0)
        assert got.cost == (dollars(total["cost_nanos"]) if total.get("priced_calls") else None)
        assert list(got.latency_histogram) == [total.get(f"lat_{i:02d}", 0)
                                               for i in range(len(LATENCY_EDGES_MS) + 1)]
        assert list(got.ttft_histogram) == [total.get(f"ttft_{i:02d}", 0)
                                            for i in range(len(LATENCY_EDGES_MS) + 1)]
        assert sum(r.calls for r in report.rows) == got.calls
    finally:
        db.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    """A SQLite store file of the test's own (emptied before each example)."""
    return f"sqlite:///{tmp_path / 'store.db'}"


_windows = st.tuples(st.floats(-2.5 * DAY_S, 2.5 * DAY_S), st.floats(0.001, 5 * DAY_S)).map(
    lambda w: (w[0], w[0] + w[1]))


_callers = st.sampled_from([None, None, "alice"])


@PROFILE
@given(groups=deliveries(), window=_windows, by=st.sampled_from(USAGE_BY), caller=_callers)
def test_rollups_equal_the_rows_on_sqlite(sqlite_store: str, groups: list[list[Record]],
                                          window: tuple[float, float], by: str, caller: str | None) -> None:
    _check(sqlite_store, groups, window, by, caller)


@settings(PROFILE, max_examples=40)
@given(groups=deliveries(), window=_windows, by=st.sampled_from(USAGE_BY), caller=_callers)
def test_rollups_equal_the_rows_on_postgresql(pg_url: str, groups: list[list[Record]],
                                              window: tuple[float, float], by: str,
                                              caller: str | None) -> None:
    _check(pg_url, groups, window, by, caller)
