"""Writing records to the store, exactly once: the calls not there yet inserted (``ON CONFLICT (id) DO
NOTHING RETURNING id`` on PostgreSQL, the ids looked up under SQLite's write lock), and the rollups and
contents of the rows actually inserted, all in one transaction. Delivering a record twice (a spool
replayed after a crash between the store's commit and the spool's delete) changes nothing the second
time.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from modelplex_store import rollups
from modelplex_store.db import Database
from modelplex_store.rows import Record
from modelplex_store.schema import CALL_CONTENTS, CALLS

# Names come from schema.py, values always go in parameters.
_PRESENT = "SELECT id FROM calls WHERE id IN (%s)"
#: Ids looked up per statement, at most (a power of two, well under SQLite's limit on parameters).
_ID_CHUNK = 512
# PostgreSQL: a group's rows are copied (one COPY stream) into a temporary table, and inserted from it
# by one statement. The table has no constraints (the insert into calls checks them), lives in the
# session, and is emptied at each commit; it is made, if missing, in every transaction, so that a
# connection pooler handing each transaction another server session finds it all the same. Its name
# carries a digest of its columns: a session that an older or newer version used has its own.
_COLUMNS = ", ".join(CALLS.names)
_INCOMING_BODY = ", ".join(attrs.evolve(c, null=True, default=None).ddl("postgresql") for c in CALLS.columns)
_INCOMING = f"incoming_calls_{hashlib.sha256(_INCOMING_BODY.encode()).hexdigest()[:12]}"
_MAKE_INCOMING = ("SET LOCAL client_min_messages = warning; "  # no notice for a table already there
                  f"CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ({_INCOMING_BODY}) "
                  "ON COMMIT DELETE ROWS")
_COPY = f"COPY {_INCOMING} ({_COLUMNS}) FROM STDIN"
_FROM_INCOMING = (f"INSERT INTO calls ({_COLUMNS}) SELECT {_COLUMNS} FROM {_INCOMING} "  # noqa: S608
                  "ON CONFLICT (id) DO NOTHING RETURNING id")
_CONTENT = (f"INSERT INTO call_contents ({', '.join(CALL_CONTENTS.names)}) VALUES (?, ?, ?) "  # noqa: S608
            "ON CONFLICT (call_id) DO NOTHING")


def insert_calls(db: Database, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert ``rows`` into ``calls``, skipping ids already there; returns the ids inserted.

    SQLite: the ids already there are read in one statement and the rest inserted by ``executemany`` of
    a plain ``INSERT``; exact, since ``BEGIN IMMEDIATE`` holds the database's write lock, and half the
    cost of a ``RETURNING`` statement stepped row by row. PostgreSQL: the rows copied into a temporary
    table and inserted from it by one ``INSERT ... SELECT ... ON CONFLICT (id) DO NOTHING RETURNING
    id``, in the transaction the caller opened. Against a prepared single-row statement per row
    (pipelined by psycopg), this halved the writer's CPU per row (35 to 15 µs) and took a quarter off
    the server's (36 to 26 µs), groups of 100 rows (``bench/store.py`` measures it in place); a
    many-row ``VALUES`` or ``unnest`` of arrays cost as much as the single rows.
    """
    if db.dialect == "sqlite":
        return _insert_sqlite(db, rows)
    with db.conn.cursor() as cursor:
        cursor.execute(_MAKE_INCOMING)
        with cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_FROM_INCOMING, prepare=True)
        return {found[0] for found in cursor.fetchall()}


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

    On PostgreSQL the rollups and the contents, which need the ids inserted, go in one pipelined round
    trip rather than one per statement (the copy cannot be pipelined).
    """
    with db.transaction():
        rows = [row for record in records for row in record.calls]
        inserted = insert_calls(db, rows)
        # A call twice in one group (never the writer's own; a spool someone copied) counts once.
        new = list({row[0]: row for row in reversed(rows) if row[0] in inserted}.values())
        contents = [r.content for r in records if r.content is not None and r.content[0] in inserted]
        with db.conn.pipeline() if db.dialect == "postgresql" else contextlib.nullcontext():
            rollups.add(db, new)
            if contents:
                db.executemany(_CONTENT, contents)
    return len({r.id for r in records} & inserted)
