"""Writing records to the store, exactly once: ``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id``,
and the rollups and contents of the rows actually inserted, all in one transaction. Delivering a record
twice (a spool replayed after a crash between the store's commit and the spool's delete) changes
nothing the second time.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Sequence
from typing import Any

from modelplex_store import rollups
from modelplex_store.db import Database
from modelplex_store.rows import Record
from modelplex_store.schema import CALL_CONTENTS, CALLS

# Names come from schema.py, values always go in parameters.
_INSERT = (f"INSERT INTO calls ({', '.join(CALLS.names)}) "  # noqa: S608
           f"VALUES ({', '.join('?' * len(CALLS.names))}) ON CONFLICT (id) DO NOTHING RETURNING id")
_PRESENT = "SELECT id FROM calls WHERE id IN (%s)"
#: Ids looked up per statement, at most (a power of two, well under SQLite's limit on parameters).
_ID_CHUNK = 512
_CONTENT = (f"INSERT INTO call_contents ({', '.join(CALL_CONTENTS.names)}) VALUES (?, ?, ?) "  # noqa: S608
            "ON CONFLICT (call_id) DO NOTHING")


def insert_calls(db: Database, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert ``rows`` into ``calls``, skipping ids already there; returns the ids inserted.

    SQLite: the ids already there are read in one statement and the rest inserted by ``executemany`` of
    a plain ``INSERT``; exact, since ``BEGIN IMMEDIATE`` holds the database's write lock, and half the
    cost of a ``RETURNING`` statement stepped row by row. PostgreSQL: one prepared single-row statement
    per row, pipelined by psycopg in one round trip and planned once (a many-row statement of a new size
    is parsed and planned again, which cost PostgreSQL three times as much).
    """
    if db.dialect == "sqlite":
        return _insert_sqlite(db, rows)
    inserted: set[str] = set()
    with db.conn.cursor() as cursor:
        cursor.executemany(db.sql(_INSERT), rows, returning=True)
        while True:
            found = cursor.fetchone()
            if found is not None:
                inserted.add(found[0])
            if not cursor.nextset():
                break
    return inserted


def _insert_sqlite(db: Database, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    execute = db.conn.execute
    present: set[str] = set()
    ids = [row[0] for row in rows]
    start, left = 0, len(ids)
    while left:  # in powers of two, as rollups.many_rows: few statements, kept prepared
        size = min(1 << (left.bit_length() - 1), _ID_CHUNK)
        chunk = ids[start:start + size]
        present.update(found[0] for found in execute(_PRESENT % ", ".join("?" * size), chunk))
        start += size
        left -= size
    fresh: dict[str, tuple[Any, ...]] = {}
    for row in rows:  # an id twice in one batch is inserted once, as ON CONFLICT would
        if row[0] not in present and row[0] not in fresh:
            fresh[row[0]] = row
    alike: dict[tuple[type, ...], list[tuple[Any, ...]]] = {}
    for row in fresh.values():
        alike.setdefault(tuple(map(type, row)), []).append(row)
    for types, same in alike.items():
        head, width, values = _columns_of(types)
        rollups.many_rows(db, head, width, [values(row) for row in same])
    return set(fresh)


_NONE = type(None)
_MAX_SHAPES = 256
_heads: dict[tuple[type, ...], tuple[str, int, Callable[[tuple[Any, ...]], Sequence[Any]]]] = {}


def _columns_of(types: tuple[type, ...]) -> tuple[str, int, Callable[[tuple[Any, ...]], Sequence[Any]]]:
    """The ``INSERT`` head naming only the columns of a row (of these value types) that are not NULL, how
    many, and what takes their values from the row.

    A ``None`` parameter is the sqlite3 module's slow case: it looks for an adapter and then for
    ``__adapt__`` and ``__conform__`` (two failed attribute lookups, each an ``AttributeError`` made and
    dropped), about 3,300 instructions, where an int or a str costs a few dozen. A call row has about
    twenty NULL columns: building and delivering a row took 222,000 instructions with them bound and
    166,000 without (callgrind). Left out of the statement, the columns take their default, NULL. A
    group's rows share a handful of shapes (a success, a failure...), each a statement kept prepared.
    """
    got = _heads.get(types)
    if got is None:
        if len(_heads) >= _MAX_SHAPES:  # never in practice: a bound all the same
            _heads.clear()
        kept = [i for i, t in enumerate(types) if t is not _NONE]
        values: Callable[[tuple[Any, ...]], Sequence[Any]] = (
            operator.itemgetter(*kept) if len(kept) > 1 else (lambda row: (row[kept[0]],)))
        got = _heads[types] = (f"INSERT INTO calls ({', '.join(CALLS.names[i] for i in kept)})",
                               len(kept), values)
    return got


def deliver(db: Database, records: Sequence[Record]) -> int:
    """Write ``records`` in one transaction; returns how many calls were new (the rest were there).

    On PostgreSQL the transaction is pipelined: two round trips (the inserts, whose ids the rollups
    need; then the rollups and the commit) rather than one per statement.
    """
    pipeline = db.conn.pipeline() if db.dialect == "postgresql" else contextlib.nullcontext()
    with pipeline, db.transaction():
        rows = [row for record in records for row in record.calls]
        inserted = insert_calls(db, rows)
        # A call twice in one group (never the writer's own; a spool someone copied) counts once.
        new = list({row[0]: row for row in reversed(rows) if row[0] in inserted}.values())
        rollups.add(db, new)
        contents = [r.content for r in records if r.content is not None and r.content[0] in inserted]
        if contents:
            db.executemany(_CONTENT, contents)
    return len({r.id for r in records} & inserted)
