"""Delivering a group of calls, on both databases (issue 14, items 1 and 2): every row comes back as
it was built, NULLs and awkward text included, each call once however often it is delivered. On
PostgreSQL the rows travel by ``COPY`` through a temporary table: a session without it (a connection
pooler's reset, a transaction rolled back) makes it again, and a group that fails leaves nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from modelplex_store.db import Database, connect
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.rows import Record, record
from modelplex_store.schema import CALLS

from modelplex import CallInfo, CallOutcome, ChatRequest, RouteAttempt, RoutingTrace, Usage
from modelplex.errors import RateLimitError

REQUEST = ChatRequest(model="m-1", messages=())
#: Text that a COPY stream must escape: its separators, its NULL marker, quotes and more than ASCII.
AWKWARD = 'tab\there, line\nbreak, back\\slash, \\N, "quoted", \'single\', héllo, 日本, 🙂'


def plain(count: int, caller: str = "svc", start: int = 0) -> list[Record]:
    out = []
    for i in range(start, start + count):
        info = CallInfo(kind="chat", address="groq/m-1", provider="groq", model="m-1", request=REQUEST,
                        tags={"message": f"m{i}"}, caller=caller, started=time.time())
        outcome = CallOutcome(status="ok" if i % 7 else "error", provider="groq", model="m-1",
                              usage=Usage(input=10 + i, output=3), duration=0.002 + i / 1e5)
        out.append(record(info, outcome))
    return out


def shapes() -> list[Record]:
    """Rows whose NULL columns differ: plain calls, a routed call with its attempts, a failure, and tags,
    caller and ids holding awkward text."""
    info = CallInfo(kind="chat", address="chain/fast", provider="chain", model="fast", request=REQUEST,
                    tags={"user": AWKWARD, "team": "a\tb", "conversation": "c\\1", "message": "\\N"},
                    caller=AWKWARD, started=time.time())
    limited = RouteAttempt(model="groq/m-1", error="limited", error_type="RateLimitError", status_code=429,
                           duration=0.1)
    answered = RouteAttempt(model="groq/m-2", duration=0.2)
    trace = RoutingTrace(address="chain/fast", attempts=(limited, answered), answered_by="groq/m-2")
    failed = RateLimitError("slow down", provider="groq", status_code=429)
    return [*plain(3),
            record(info, CallOutcome(status="ok", usage=Usage(input=5, output=1), duration=0.3,
                                     time_to_first_token=0.05, trace=trace)),
            record(info, CallOutcome(status="error", error=failed, duration=0.1))]


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    opened = connect(store_url)
    migrate(opened)
    try:
        yield opened
    finally:
        opened.close()


def stored(db: Database) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.execute(f"SELECT {', '.join(CALLS.names)} FROM calls ORDER BY id")]


def day_calls(db: Database) -> int:
    return int(db.execute("SELECT coalesce(sum(calls), 0) FROM rollups WHERE grain = 'day'").fetchone()[0])


def test_rows_of_every_shape_come_back_as_built(db: Database) -> None:
    made = shapes()
    rows = sorted(row for r in made for row in r.calls)
    assert len({tuple(v is None for v in row) for row in rows}) >= 4  # shapes that differ, truly
    assert any(AWKWARD in str(v) for row in rows for v in row)
    assert deliver(db, made) == len(made)
    assert stored(db) == rows
    assert day_calls(db) == len(made)  # the calls, not their attempts


def test_delivered_again_with_new_calls_each_call_is_written_once(db: Database) -> None:
    """A spool replayed after a crash: the calls already there are skipped and their rollups not added
    twice, and a call twice in one group counts once."""
    first, more = plain(300), plain(101, caller="other", start=300)
    assert deliver(db, first) == 300
    assert deliver(db, [*first[:250], *more, more[0]]) == 101
    assert len(stored(db)) == 401
    inputs = db.execute("SELECT sum(input) FROM calls").fetchone()[0]
    assert inputs == sum(10 + i for i in range(401))
    assert day_calls(db) == 401
    by_caller = dict(db.execute("SELECT caller, sum(calls) FROM rollups WHERE grain = 'day' "
                                "GROUP BY caller").fetchall())
    assert by_caller == {"svc": 300, "other": 101}


def test_a_session_that_lost_its_temporary_table_delivers_all_the_same(pg_url: str) -> None:
    """A connection pooler resets a session between transactions (``DISCARD ALL``), or hands the next
    transaction another one: the table the rows are copied through is made again."""
    db = connect(pg_url)
    try:
        migrate(db)
        assert deliver(db, plain(5)) == 5
        db.execute("DISCARD ALL")
        assert deliver(db, plain(5, start=5)) == 5
        other = connect(pg_url)  # another session, never used for a delivery
        try:
            assert deliver(other, plain(5, start=10)) == 5
        finally:
            other.close()
        assert len(stored(db)) == 15 and day_calls(db) == 15
    finally:
        db.close()


def test_a_group_that_fails_leaves_nothing_and_the_next_one_is_written(pg_url: str) -> None:
    """A row the table refuses (a NULL where it takes none) fails its whole group, rows and rollups; the
    rows copied for it are gone with the transaction, not delivered with the next group."""
    db = connect(pg_url)
    try:
        migrate(db)
        bad = plain(4)
        broken = list(bad[2].calls[0])
        broken[CALLS.names.index("status")] = None
        bad[2] = Record(calls=(tuple(broken),), content=None)
        with pytest.raises(Exception, match="status"):
            deliver(db, bad)
        assert stored(db) == [] and day_calls(db) == 0
        good = plain(3, start=10)
        assert deliver(db, good) == 3
        assert stored(db) == sorted(row for r in good for row in r.calls) and day_calls(db) == 3
    finally:
        db.close()
