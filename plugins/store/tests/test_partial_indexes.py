"""The partial indexes of schema version 6 (``calls_in_conversation``, ``calls_attempts``): they hold
only the rows that have a conversation or a parent call, and the queries that look calls up by either
still use them, on both databases (``store_url``): the store's own statements, caught as they are run,
explained by the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import modelplex_store
import pytest
from modelplex_store import queries
from modelplex_store.conversations.store import _CALL
from modelplex_store.db import Database
from modelplex_store.rows import Record, record
from modelplex_store.schema import CURRENT_INDEXES
from seeding import NOON, call, opened, put

#: Calls seeded: one in fifty belongs to a conversation, one in fifty has an attempt row.
CALLS = 2_000


@pytest.fixture
def seeded(store_url: str) -> Iterator[Database]:
    made: list[Record] = []
    for n in range(CALLS):
        tags = {"conversation": f"conv-{n // 50}", "message": f"m-{n}"} if n % 50 == 0 else None
        made.append(record(*call(at=NOON - n, tags=tags)))
    with_attempts = []
    for n, rec in enumerate(made):
        if n % 50 == 25:  # an attempt row of a routed call, linked to it
            attempt = list(rec.calls[0])
            attempt[0], attempt[1], attempt[2] = f"attempt-{n}", rec.id, "attempt"
            rec = Record(calls=(rec.calls[0], tuple(attempt)))
        with_attempts.append(rec)
    put(store_url, with_attempts)
    db = opened(store_url)
    db.execute("ANALYZE")
    yield db
    db.close()


class Watched:
    """A driver's connection that keeps the statements run through it (in the driver's own form)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.seen: list[tuple[str, Sequence[Any]]] = []

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        self.seen.append((text, params))
        return self.conn.execute(text, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def caught(db: Database, run: Callable[[], Any]) -> list[tuple[str, Sequence[Any]]]:
    """The statements ``run`` sends through ``db``, with their parameters."""
    watched = db.conn = Watched(db.conn)
    try:
        run()
    finally:
        db.conn = watched.conn
    return watched.seen


def plan(db: Database, text: str, params: Sequence[Any]) -> str:
    """The database's plan for ``text`` (in the driver's form), as one string."""
    explain = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in db.conn.execute(explain + text, params).fetchall())


def definition(db: Database, name: str) -> str:
    if db.dialect == "sqlite":
        return str(db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0])
    return str(db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = ?", (name,)).fetchone()[0])


def test_the_indexes_are_partial_and_the_full_ones_are_gone(seeded: Database) -> None:
    names = {i.name for i in CURRENT_INDEXES}
    assert {"calls_in_conversation", "calls_attempts"} <= names
    assert not {"calls_conversation", "calls_parent"} & names
    assert "conversation_id IS NOT NULL" in definition(seeded, "calls_in_conversation")
    assert "parent_id IS NOT NULL" in definition(seeded, "calls_attempts")


def test_logs_of_a_conversation_use_its_index(seeded: Database) -> None:
    found: list[Any] = []
    statements = caught(seeded, lambda: found.extend(queries.logs(seeded, conversation="conv-3")))
    assert [r.conversation_id for r in found] == ["conv-3"]
    (text, params), = [s for s in statements if "FROM calls" in s[0]]
    assert "calls_in_conversation" in plan(seeded, text, params)


def test_the_conversation_link_uses_its_index(seeded: Database) -> None:
    assert seeded.execute(_CALL, ("conv-3", "m-150")).fetchall()
    assert "calls_in_conversation" in plan(seeded, seeded.sql(_CALL), ("conv-3", "m-150"))


def test_pruning_finds_the_attempts_by_their_index(seeded: Database, store_url: str) -> None:
    before = seeded.execute("SELECT count(*) FROM calls WHERE kind = 'attempt'").fetchone()[0]
    assert before == CALLS // 50
    with modelplex_store.open(store_url) as store:
        halfway = int((NOON - CALLS / 2) * 1_000_000)
        statements = caught(store.database, lambda: store.prune(before=halfway))
    (text, params), = [s for s in statements if "parent_id IN" in s[0]]
    plan_text = plan(seeded, text, params)
    assert "calls_attempts" in plan_text, plan_text
    left = seeded.execute("SELECT count(*) FROM calls WHERE kind = 'attempt'").fetchone()[0]
    assert 0 < left < before
