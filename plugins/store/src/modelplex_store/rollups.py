"""The rollups a batch of inserted call rows adds: per hour and per day x provider x model x status x
caller, summed in memory and added to the table by one upsert per key, in the transaction that inserted
the rows. Keys are upserted in sorted order, so that two processes' transactions lock rollup rows in
the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelplex_store.db import Database
from modelplex_store.schema import (
    CALLS,
    LATENCY_COLUMNS,
    ROLLUP_KEY,
    ROLLUP_SUMS,
    TOKEN_BUCKETS,
    TTFT_COLUMNS,
    histogram_bucket,
)

GRAINS = (("hour", 3_600_000_000), ("day", 86_400_000_000))
Key = tuple[str, int, str, str, str, str]

_C = {name: i for i, name in enumerate(CALLS.names)}
_S = {name: i for i, name in enumerate(ROLLUP_SUMS)}
_TOKENS = tuple((_S[b], _C[b]) for b in TOKEN_BUCKETS)
_LAT = _S[LATENCY_COLUMNS[0]]
_TTFT = _S[TTFT_COLUMNS[0]]

# Names come from schema.py, values always go in parameters.
_UPSERT = (f"INSERT INTO rollups ({', '.join((*ROLLUP_KEY, *ROLLUP_SUMS))}) "  # noqa: S608
           f"VALUES ({', '.join('?' * (len(ROLLUP_KEY) + len(ROLLUP_SUMS)))}) "
           f"ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET "
           + ", ".join(f"{c} = rollups.{c} + excluded.{c}" for c in ROLLUP_SUMS))


_CALLS, _ERRORS, _ESTIMATED = _S["calls"], _S["errors"], _S["estimated_calls"]
_PRICED, _COST, _UNPRICED = _S["priced_calls"], _S["cost_nanos"], _S["unpriced_calls"]
_DURATION, _TTFT_CALLS, _TTFT_US = _S["duration_us"], _S["ttft_calls"], _S["ttft_us"]


def _sums(row: tuple[Any, ...]) -> list[tuple[int, int]]:
    """What one call row adds, as (index into ROLLUP_SUMS, amount) pairs: a dozen, not the ~90 sums."""
    duration = row[_C["duration_us"]]
    sums = [(_CALLS, 1), (_ERRORS, int(row[_C["status"]] == "error")),
            (_ESTIMATED, row[_C["usage_estimated"]]), (_DURATION, duration),
            (_LAT + histogram_bucket(duration), 1)]
    sums += [(s, row[c]) for s, c in _TOKENS]
    cost = row[_C["cost_nanos"]]
    sums += [(_UNPRICED, 1)] if cost is None else [(_PRICED, 1), (_COST, cost)]
    ttft = row[_C["ttft_us"]]
    if ttft is not None:
        sums += [(_TTFT_CALLS, 1), (_TTFT_US, ttft), (_TTFT + histogram_bucket(ttft), 1)]
    return sums


def deltas(rows: Iterable[tuple[Any, ...]]) -> dict[Key, list[int]]:
    """What ``rows`` (``calls`` rows; attempts are skipped) add to each rollup, by key."""
    out: dict[Key, list[int]] = {}
    width = len(ROLLUP_SUMS)
    for row in rows:
        if row[_C["kind"]] == "attempt":
            continue
        sums = _sums(row)
        started = row[_C["started_at"]]
        for grain, span in GRAINS:
            key: Key = (grain, started - started % span, row[_C["provider"]] or "", row[_C["model"]] or "",
                        row[_C["status"]], row[_C["caller"]] or "")
            total = out.get(key)
            if total is None:
                total = out[key] = [0] * width
            for index, amount in sums:
                total[index] += amount
    return out


def add(db: Database, rows: Iterable[tuple[Any, ...]]) -> None:
    """Add what ``rows`` count to the rollups (inside the caller's transaction)."""
    changes = deltas(rows)
    if changes:
        db.executemany(_UPSERT, [(*key, *changes[key]) for key in sorted(changes)])
