"""The rollups a batch of inserted call rows adds: per hour and per day x provider x model x status x
caller, summed in memory and added to the table by one upsert per key, in the transaction that inserted
the rows. Keys are upserted in sorted order, so that two processes' transactions lock rollup rows in
the same order and cannot deadlock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
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
_HEAD = f"INSERT INTO rollups ({', '.join((*ROLLUP_KEY, *ROLLUP_SUMS))})"
_WIDTH = len(ROLLUP_KEY) + len(ROLLUP_SUMS)
_TAIL = (f" ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET "
         + ", ".join(f"{c} = rollups.{c} + excluded.{c}" for c in ROLLUP_SUMS))
_UPSERT = f"{_HEAD} VALUES ({', '.join('?' * _WIDTH)}){_TAIL}"
#: The most parameters one SQLite statement takes here: SQLite's default limit since 3.32 (999 before).
_MAX_PARAMS = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999


_CALLS, _ERRORS, _ESTIMATED = _S["calls"], _S["errors"], _S["estimated_calls"]
_PRICED, _COST, _UNPRICED = _S["priced_calls"], _S["cost_nanos"], _S["unpriced_calls"]
_DURATION, _TTFT_CALLS, _TTFT_US = _S["duration_us"], _S["ttft_calls"], _S["ttft_us"]


_KIND, _STARTED, _PROVIDER, _MODEL = _C["kind"], _C["started_at"], _C["provider"], _C["model"]
_STATUS, _CALLER, _ROW_DURATION, _ROW_TTFT = _C["status"], _C["caller"], _C["duration_us"], _C["ttft_us"]
_USAGE_ESTIMATED, _ROW_COST = _C["usage_estimated"], _C["cost_nanos"]
_HOUR, _DAY = (span for _, span in GRAINS)


def _sums(row: tuple[Any, ...]) -> list[tuple[int, int]]:
    """What one call row adds, as (index into ROLLUP_SUMS, amount) pairs: a dozen, not the ~90 sums."""
    duration = row[_ROW_DURATION]
    sums = [(_CALLS, 1), (_ERRORS, int(row[_STATUS] == "error")),
            (_ESTIMATED, row[_USAGE_ESTIMATED]), (_DURATION, duration),
            (_LAT + histogram_bucket(duration), 1)]
    sums += [(s, row[c]) for s, c in _TOKENS]
    cost = row[_ROW_COST]
    sums += [(_UNPRICED, 1)] if cost is None else [(_PRICED, 1), (_COST, cost)]
    ttft = row[_ROW_TTFT]
    if ttft is not None:
        sums += [(_TTFT_CALLS, 1), (_TTFT_US, ttft), (_TTFT + histogram_bucket(ttft), 1)]
    return sums


def deltas(rows: Iterable[tuple[Any, ...]]) -> dict[Key, list[int]]:
    """What ``rows`` (``calls`` rows; attempts are skipped) add to each rollup, by key."""
    # Rows are first grouped by their hour's key (a group's calls mostly share one), then each group's
    # sums are added once to its hour and once to its day: the per-row work is one tuple and a lookup.
    by_hour: dict[Key, list[tuple[Any, ...]]] = {}
    for row in rows:
        if row[_KIND] == "attempt":
            continue
        started = row[_STARTED]
        key: Key = ("hour", started - started % _HOUR, row[_PROVIDER] or "", row[_MODEL] or "",
                    row[_STATUS], row[_CALLER] or "")
        same = by_hour.get(key)
        if same is None:
            by_hour[key] = [row]
        else:
            same.append(row)
    out: dict[Key, list[int]] = {}
    width = len(ROLLUP_SUMS)
    for hour, same in by_hour.items():
        total = [0] * width
        for row in same:
            for index, amount in _sums(row):
                total[index] += amount
        day: Key = ("day", hour[1] - hour[1] % _DAY, *hour[2:])
        out[hour] = total
        have = out.get(day)
        if have is None:
            out[day] = list(total)
        else:
            out[day] = [a + b for a, b in zip(have, total, strict=True)]
    return out


def add(db: Database, rows: Iterable[tuple[Any, ...]]) -> None:
    """Add what ``rows`` count to the rollups (inside the caller's transaction)."""
    changes = deltas(rows)
    if not changes:
        return
    upserts = [(*key, *changes[key]) for key in sorted(changes)]
    if db.dialect == "sqlite":  # each key once in ``changes``: no row of a statement upserts another's
        many_rows(db, _HEAD, _WIDTH, upserts, _TAIL)
    else:
        db.executemany(_UPSERT, upserts)


def many_rows(db: Database, head: str, width: int, rows: Sequence[Sequence[Any]], tail: str = "") -> None:
    """SQLite: ``head VALUES (...), (...) tail`` for ``rows``, in statements of a power of two rows.

    One statement of many rows, not ``executemany``: the sqlite3 module lets go of the GIL around each
    row's step and takes it back after, and every take-back while the event loop holds the GIL is a
    thread switch (the writer shares the loop's core); a statement of many rows is one. Powers of two
    keep the statements few, so the driver's cache keeps them prepared.
    """
    row_marks = f"({', '.join('?' * width)})"
    start, left = 0, len(rows)
    while left:
        size = min(1 << (left.bit_length() - 1), 1 << (max(1, _MAX_PARAMS // width).bit_length() - 1))
        text = f"{head} VALUES {', '.join([row_marks] * size)}{tail}"
        db.conn.execute(text, [value for row in rows[start:start + size] for value in row])
        start += size
        left -= size

