"""Writing records to the store, exactly once: ``INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id``,
and the rollups and contents of the rows actually inserted, all in one transaction. Delivering a record
twice (a spool replayed after a crash between the store's commit and the spool's delete) changes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelplex_store import rollups
from modelplex_store.db import Database
from modelplex_store.rows import Record
from modelplex_store.schema import CALL_CONTENTS, CALLS

#: Rows per INSERT statement: 500 x 37 parameters stays under SQLite's 32,766 and PostgreSQL's 65,535.
CHUNK = 500
_ROW = "(" + ", ".join("?" * len(CALLS.names)) + ")"
# Names come from schema.py, values always go in parameters.
_INSERT = f"INSERT INTO calls ({', '.join(CALLS.names)}) VALUES "  # noqa: S608
_CONFLICT = " ON CONFLICT (id) DO NOTHING RETURNING id"
_CONTENT = (f"INSERT INTO call_contents ({', '.join(CALL_CONTENTS.names)}) VALUES (?, ?, ?) "  # noqa: S608
            "ON CONFLICT (call_id) DO NOTHING")


def insert_calls(db: Database, rows: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert ``rows`` into ``calls``, skipping ids already there; returns the ids inserted."""
    inserted: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        params = [value for row in chunk for value in row]
        cursor = db.execute(_INSERT + ", ".join([_ROW] * len(chunk)) + _CONFLICT, params)
        inserted.update(r[0] for r in cursor.fetchall())
    return inserted


def deliver(db: Database, records: Sequence[Record]) -> int:
    """Write ``records`` in one transaction; returns how many calls were new (the rest were there)."""
    with db.transaction():
        rows = [row for record in records for row in record.calls]
        inserted = insert_calls(db, rows)
        new = [row for row in rows if row[0] in inserted]
        rollups.add(db, new)
        contents = [r.content for r in records if r.content is not None and r.content[0] in inserted]
        if contents:
            db.executemany(_CONTENT, contents)
    return sum(1 for r in records if r.id in inserted)
