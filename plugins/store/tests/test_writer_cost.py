"""What recording costs the process that calls (issue 14: recording adds under 5% to a call at 100 in
flight; S4's findings). On SQLite a group of calls is written in a few statements of many rows, not a
statement per row (the sqlite3 module gives the GIL up and takes it back around each statement's step,
and each take-back is a thread switch with the event loop), exactly once still; the calls' waiters
expire through one timer per event loop, not one per call.
"""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from modelplex_store import wake
from modelplex_store.db import connect
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.rows import Record, record

from modelplex import CallInfo, CallOutcome, ChatRequest, Usage

REQUEST = ChatRequest(model="m-1", messages=())


def records(count: int, caller: str = "svc") -> list[Record]:
    """``count`` calls' records, as the writer builds them."""
    out = []
    for i in range(count):
        info = CallInfo(kind="chat", address="groq/m-1", provider="groq", model="m-1", request=REQUEST,
                        tags={"message": f"m{i}"}, caller=caller, started=time.time())
        outcome = CallOutcome(status="ok" if i % 7 else "error", provider="groq", model="m-1",
                              usage=Usage(input=10 + i, output=3), duration=0.002 + i / 1e5)
        out.append(record(info, outcome))
    return out


def opened(tmp_path: Path) -> Any:
    db = connect(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(db)
    return db


def totals(db: Any) -> tuple[int, int, int, int]:
    """Rows in calls, their input tokens, and the day and hour rollups' call counts."""
    calls, inputs = db.execute("SELECT count(*), coalesce(sum(input), 0) FROM calls").fetchone()
    day = db.execute("SELECT coalesce(sum(calls), 0) FROM rollups WHERE grain = 'day'").fetchone()[0]
    hour = db.execute("SELECT coalesce(sum(calls), 0) FROM rollups WHERE grain = 'hour'").fetchone()[0]
    return calls, inputs, day, hour


def test_a_group_of_calls_is_a_few_statements_on_sqlite(tmp_path: Path) -> None:
    db = opened(tmp_path)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        assert deliver(db, records(100)) == 100
    finally:
        db.conn.set_trace_callback(None)
    # BEGIN, the ids already there and the rows (64 + 32 + 4 each), the rollups, COMMIT: not one
    # INSERT per row (102 statements and more before).
    inserts = [s for s in statements if s.startswith("INSERT INTO calls")]
    assert len(inserts) == 3 and len(statements) <= 10, statements
    assert totals(db) == (100, sum(10 + i for i in range(100)), 100, 100)
    db.close()


def test_rows_of_every_shape_in_one_group_come_back_as_given(tmp_path: Path) -> None:
    """A row's NULL columns are left out of its statement (binding ``None`` is the sqlite3 module's slow
    case): rows whose NULLs differ (a success, a failure with its class and status, a tagged call, an
    attempt) share a group and each comes back whole, NULLs included."""
    from modelplex_store.schema import CALLS

    from modelplex import RouteAttempt, RoutingTrace
    from modelplex.errors import RateLimitError

    info = CallInfo(kind="chat", address="chain/fast", provider="chain", model="fast", request=REQUEST,
                    tags={"user": "u1", "team": "a"}, caller=None, started=time.time())
    limited = RouteAttempt(model="groq/m-1", error="limited", error_type="RateLimitError", status_code=429,
                           duration=0.1)
    answered = RouteAttempt(model="groq/m-2", duration=0.2)
    trace = RoutingTrace(address="chain/fast", attempts=(limited, answered), answered_by="groq/m-2")
    shapes = [*records(3), record(info, CallOutcome(status="ok", usage=Usage(input=5, output=1), duration=0.3,
                                                    time_to_first_token=0.05, trace=trace)),
              record(info, CallOutcome(status="error", error=RateLimitError("slow down", provider="groq",
                                                                           status_code=429), duration=0.1))]
    rows = sorted(row for r in shapes for row in r.calls)
    assert len({tuple(v is None for v in row) for row in rows}) >= 4  # shapes that differ, truly
    db = opened(tmp_path)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    assert deliver(db, shapes) == len(shapes)
    db.conn.set_trace_callback(None)
    got = db.execute(f"SELECT {', '.join(CALLS.names)} FROM calls ORDER BY id").fetchall()
    assert [tuple(row) for row in got] == rows
    inserts = [s for s in statements if s.startswith("INSERT INTO calls")]
    assert inserts and not [s for s in inserts if "NULL" in s.split("VALUES", 1)[1]], inserts
    db.close()


def test_delivered_again_with_new_calls_each_call_is_written_once(tmp_path: Path) -> None:
    """A spool replayed after a crash: calls already there are skipped, their rollups not added twice,
    across more rows than one statement takes (512)."""
    db = opened(tmp_path)
    first, more = records(700), records(301, caller="other")
    assert deliver(db, first) == 700
    again = [*first[:600], *more, more[0]]  # and one call twice in a group
    assert deliver(db, again) == 301
    inputs = sum(10 + i for i in range(700)) + sum(10 + i for i in range(301))
    assert totals(db) == (1001, inputs, 1001, 1001)
    by_caller = dict(db.execute("SELECT caller, sum(calls) FROM rollups WHERE grain = 'day' "
                                "GROUP BY caller").fetchall())
    assert by_caller == {"svc": 700, "other": 301}
    db.close()


def test_waiters_share_one_timer_per_event_loop() -> None:
    async def main() -> int:
        loop = asyncio.get_running_loop()
        before = len(loop._scheduled)  # type: ignore[attr-defined]  # asyncio's timer heap
        waiters = [wake.Waiter() for _ in range(100)]
        armed = len(loop._scheduled) - before  # type: ignore[attr-defined]
        wake.wake_all(waiters)
        for waiter in waiters:
            await waiter
        return armed

    assert asyncio.run(main()) == 1


def test_a_waiter_left_unwoken_expires_at_the_limit_after_others_were_woken(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wake, "LIMIT", 0.3)

    async def main() -> tuple[float, float]:
        first, second = wake.Waiter(), wake.Waiter()
        await asyncio.sleep(0.1)
        third = wake.Waiter()
        wake.wake_all([first, third])
        started = time.monotonic()
        await first
        await third
        woken = time.monotonic() - started
        await second  # never woken: its own deadline, 0.3 s after it was made
        return woken, time.monotonic() - started

    late = wake.late()
    woken, expired = asyncio.run(main())
    assert woken < 0.1 and 0.15 < expired < 1.0
    assert wake.late() == late + 1


def test_an_event_loop_closed_with_waiters_pending_is_not_kept() -> None:
    loop = asyncio.new_event_loop()

    async def make() -> wake.Waiter:
        return wake.Waiter()

    pending = loop.run_until_complete(make())
    loop.close()
    ref = weakref.ref(loop)
    del loop, pending
    gc.collect()
    assert ref() is None


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    """Ids' random bits come from a generator (``os.urandom`` per id gave the GIL up): a child reseeds it."""
    import os

    from modelplex_store.rows import uuid7

    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, then out at once
        os.write(writing, " ".join(uuid7(1_700_000_000_000_000) for _ in range(3)).encode())
        os._exit(0)
    os.close(writing)
    ours = {uuid7(1_700_000_000_000_000) for _ in range(3)}
    with os.fdopen(reading) as pipe:
        theirs = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(theirs) == 3 and not ours & theirs
