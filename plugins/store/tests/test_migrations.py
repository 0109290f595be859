"""Migrations (issue 14, item 4): one schema definition, rendered for SQLite and PostgreSQL, applied step
by step; every earlier schema upgrades to the newest with its rows kept; processes starting together
migrate once. Every test runs on both databases (``store_url``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from modelplex_store.db import Database, connect
from modelplex_store.migrations import current_version, migrate
from modelplex_store.schema import CALLS, CURRENT_INDEXES, TABLES, VERSION, Column, Index, Table, ddl


def columns(db: Database, table: str) -> list[str]:
    """The columns ``table`` has in ``db``, in order."""
    if db.dialect == "sqlite":
        return [r[1] for r in db.execute(f"PRAGMA table_info({table})").fetchall()]
    return [r[0] for r in db.execute("SELECT column_name FROM information_schema.columns WHERE "
                                     "table_name = ? ORDER BY ordinal_position", (table,)).fetchall()]


def indexes(db: Database) -> set[str]:
    """The names of the indexes made by the schema (not those behind primary keys)."""
    if db.dialect == "sqlite":
        found = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    else:
        found = db.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in found if not r[0].startswith("sqlite_") and not r[0].endswith("_pkey")}


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = connect(store_url)
    yield database
    database.close()


def test_a_new_store_gets_every_table_and_index_once(db: Database) -> None:
    assert current_version(db) == 0
    assert migrate(db) == list(range(1, VERSION + 1))
    assert migrate(db) == []
    for table in TABLES:
        assert columns(db, table.name) == list(table.names)
    assert indexes(db) == {i.name for i in CURRENT_INDEXES}
    assert [r[0] for r in db.execute("SELECT version FROM schema_migrations").fetchall()] == \
        list(range(1, VERSION + 1))


@pytest.mark.parametrize("earlier", range(VERSION))
def test_every_earlier_schema_upgrades_to_the_newest_keeping_its_rows(db: Database, earlier: int) -> None:
    migrate(db, target=earlier)
    assert current_version(db) == earlier
    if earlier >= 1:  # a call row as that version wrote it
        names = [c.name for c in CALLS.at(earlier) if not c.null and c.default is None]
        values = {"id": "old-1", "kind": "chat", "started_at": 1, "ended_at": 2, "requested": "a/b",
                  "status": "ok", "duration_us": 1}
        db.execute(f"INSERT INTO calls ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                   [values[n] for n in names])
    assert migrate(db) == list(range(earlier + 1, VERSION + 1))
    assert current_version(db) == VERSION
    for table in TABLES:
        assert sorted(columns(db, table.name)) == sorted(table.names)
    assert indexes(db) == {i.name for i in CURRENT_INDEXES}
    if earlier >= 1:
        assert db.execute("SELECT id, status FROM calls").fetchall() == [("old-1", "ok")]


def test_a_later_version_adds_its_columns_and_indexes_to_existing_tables(db: Database) -> None:
    """The rendering a version 2 will use: a table of version 1 gets the columns and indexes marked
    ``since=2`` by ALTER TABLE, its rows keeping their values and taking the defaults."""
    table = Table(name="t", primary_key=("id",), columns=(
        Column(name="id", type="text", null=False), Column(name="n", type="int"),
        Column(name="flag", type="int", null=False, default="0", since=2),
        Column(name="note", type="text", since=2),
    ))
    index = Index(name="t_note", table="t", columns=("note",), since=2)
    with db.transaction():
        for statement in ddl(1, db.dialect, (table,), (index,)):
            db.execute(statement)
    db.execute("INSERT INTO t (id, n) VALUES (?, ?)", ("a", 7))
    with db.transaction():
        for statement in ddl(2, db.dialect, (table,), (index,)):
            db.execute(statement)
    assert columns(db, "t") == ["id", "n", "flag", "note"]
    assert db.execute("SELECT id, n, flag, note FROM t").fetchall() == [("a", 7, 0, None)]
    assert "t_note" in indexes(db)


def test_a_later_version_replaces_an_index_by_a_partial_one(db: Database) -> None:
    """An index dropped by version ``until`` and a partial one (``where``) made by the same version:
    after it, only the partial one is there, holding only the rows it names."""
    table = Table(name="t", primary_key=("id",), columns=(
        Column(name="id", type="text", null=False), Column(name="note", type="text")))
    old = Index(name="t_note", table="t", columns=("note",), until=2)
    new = Index(name="t_noted", table="t", columns=("note",), where="note IS NOT NULL", since=2)
    assert ddl(2, db.dialect, (table,), (old, new)) == [
        "DROP INDEX IF EXISTS t_note",
        "CREATE INDEX IF NOT EXISTS t_noted ON t (note) WHERE note IS NOT NULL"]
    for version in (1, 2):
        with db.transaction():
            for statement in ddl(version, db.dialect, (table,), (old, new)):
                db.execute(statement)
        assert indexes(db) == ({"t_note"} if version == 1 else {"t_noted"})
    db.execute("INSERT INTO t (id, note) VALUES ('a', NULL), ('b', 'x')")
    if db.dialect == "sqlite":  # the partial index cannot answer for rows it does not hold
        assert db.execute("SELECT id FROM t INDEXED BY t_noted WHERE note = 'x'").fetchall() == [("b",)]
        with pytest.raises(Exception, match="no query solution"):
            db.execute("SELECT id FROM t INDEXED BY t_noted WHERE note IS NULL")
    else:
        db.execute("VACUUM ANALYZE t")
        assert db.execute("SELECT reltuples FROM pg_class WHERE relname = 't_noted'").fetchone()[0] == 1


def test_a_store_newer_than_this_code_is_left_as_it_is(db: Database) -> None:
    migrate(db)
    db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (VERSION + 1, 0))
    assert migrate(db) == []
    assert current_version(db) == VERSION + 1


MIGRATE = """
import sys, time
from modelplex_store.db import connect
from modelplex_store.migrations import migrate
db = connect(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all four start at once
print(migrate(db))
"""


def test_four_processes_starting_together_migrate_once(store_url: str) -> None:
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, store_url, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    everything = str(list(range(1, VERSION + 1)))
    assert sorted(out.strip() for out, _ in results) == [everything, "[]", "[]", "[]"]
    db = connect(store_url)
    try:
        assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == VERSION
    finally:
        db.close()
