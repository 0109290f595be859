"""Every recorded call as CSV or JSON lines, for an audit, streamed: memory stays bounded whatever the
number of rows.

SQLite hands rows over as the cursor steps through them; PostgreSQL through a server-side cursor
(``DECLARE ... CURSOR``), :data:`BATCH` rows at a time, never the whole result. Rows come oldest first
(``started_at``, then ``id``), attempts of routed calls included (``kind = 'attempt'``, ``parent_id``
their call). The columns are the ``calls`` table's, with times as ISO 8601 UTC (``started_at``,
``ended_at``) and money as exact decimal dollars (``cost_usd``, ``reported_cost_usd``; empty or
``null`` when unknown, never 0); durations stay integer microseconds. Bodies are not exported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from modelplex_store.db import Database
from modelplex_store.queries import call_filter, dollars, money_text
from modelplex_store.schema import CALLS
from modelplex_store.when import DAY, iso

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")
#: Rows fetched, formatted and handed on at a time.
BATCH = 1000
_RENAMED = {"cost_nanos": "cost_usd", "reported_cost_nanos": "reported_cost_usd"}
_TIMES = frozenset({"started_at", "ended_at"})
_MONEY = frozenset(_RENAMED)
_BOOLS = frozenset({"stream", "partial", "usage_estimated"})


def header(names: Sequence[str]) -> list[str]:
    """The exported names of the ``calls`` columns ``names``."""
    return [_RENAMED.get(n, n) for n in names]


_DAYS: dict[int, str] = {}  # a day's number -> its ISO date: made once per day, not per row


def stamp(micros: int | None) -> str | None:
    """:func:`~modelplex_store.when.iso`, the same text, for many values: the date's text is made once
    per day, the time of day by arithmetic (a third of the export's time went to datetimes)."""
    if micros is None:
        return None
    day, rest = divmod(micros, DAY)
    date = _DAYS.get(day)
    if date is None:
        if len(_DAYS) > 4096:
            _DAYS.clear()
        date = _DAYS[day] = (iso(day * DAY) or "")[:10]
    seconds, fraction = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if fraction:
        return f"{date}T{hours:02d}:{minutes:02d}:{seconds:02d}.{fraction:06d}Z"
    return f"{date}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def _json_money(value: int | None) -> str | None:
    return money_text(dollars(value))


def _csv_money(value: int | None) -> str:
    return money_text(dollars(value)) or ""


def _tags(value: str | None) -> Any:
    return json.loads(value) if value else {}


def _converters(names: Sequence[str], jsonl: bool) -> list[tuple[int, Callable[[Any], Any]]]:
    """The columns whose values change on the way out, with what changes them."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(names):
        if name in _TIMES:
            out.append((index, stamp))
        elif name in _MONEY:
            out.append((index, _json_money if jsonl else _csv_money))
        elif jsonl and name in _BOOLS:
            out.append((index, bool))
        elif jsonl and name == "tags":
            out.append((index, _tags))
    return out


def _rows(db: Database, sql: str, params: Sequence[Any]) -> Iterator[Sequence[Sequence[Any]]]:
    """``sql``'s rows, :data:`BATCH` at a time, never all at once."""
    if db.dialect == "sqlite":
        cursor = db.execute(sql, params)
        try:
            while batch := cursor.fetchmany(BATCH):
                yield batch
        finally:
            cursor.close()
        return
    # A server-side cursor lives in a transaction; it is read-only, so nothing is held but a snapshot.
    with db.conn.transaction(), db.conn.cursor(name="modelplex_export") as cursor:
        cursor.itersize = BATCH
        cursor.execute(db.sql(sql), params)
        while batch := cursor.fetchmany(BATCH):
            yield batch


def export_calls(db: Database, fmt: ExportFormat = "csv", *, since: int | None = None,
                 until: int | None = None) -> Iterator[str]:
    """The calls started in ``[since, until)`` (microseconds since the epoch; ``None``: no bound) as
    text chunks of CSV (a header line first) or JSON lines, each chunk up to :data:`BATCH` rows."""
    where, params = call_filter(db, since=since, until=until, attempts=True)
    yield from export_where(db, fmt, where, params)


def export_where(db: Database, fmt: ExportFormat, where: Sequence[str],
                 params: Sequence[Any]) -> Iterator[str]:
    """The calls that every clause of ``where`` selects (as :func:`~modelplex_store.queries.call_filter`
    gives them), oldest first, exported as :func:`export_calls` does."""
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: give csv or jsonl")
    names = CALLS.names
    sql = f"SELECT {', '.join(names)} FROM calls"  # noqa: S608 - names from schema.py
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY started_at, id"
    jsonl = fmt == "jsonl"
    convert = _converters(names, jsonl)
    exported = header(names)
    if not jsonl:
        yield _csv([exported])
    for batch in _rows(db, sql, params):
        rows = []
        for row in batch:
            values = list(row)
            for index, change in convert:
                values[index] = change(values[index])
            rows.append(values)
        if jsonl:
            yield "".join(json.dumps(dict(zip(exported, r, strict=True)), ensure_ascii=False,
                                     separators=(",", ":")) + "\n" for r in rows)
        else:
            yield _csv(rows)


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
