"""Helpers of the query and CLI tests: calls put into a store through the recorder's own path (the row
builder :func:`modelplex_store.rows.record` and :func:`modelplex_store.deliver.deliver`, rollups
included), each call described by what the lifecycle would have told the recorder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from modelplex_store.db import Database, connect
from modelplex_store.deliver import deliver
from modelplex_store.migrations import migrate
from modelplex_store.rows import Record, record

from modelplex import CallInfo, CallOutcome, Cost, Usage
from modelplex.errors import APIStatusError, ServerError

#: A fixed "now" for the tests: 2026-11-10 12:00 UTC, in seconds.
NOON = datetime(2026, 11, 10, 12, 0, tzinfo=UTC).timestamp()
HOUR_S = 3600.0
DAY_S = 86400.0


def call(*, at: float = NOON, provider: str = "openai", model: str = "gpt-4o-mini", status: str = "ok",
         usage: Usage | None = None, cost: Decimal | str | None = "0.001", duration: float = 0.25,
         ttft: float | None = None, caller: str | None = None, tags: Mapping[str, str] | None = None,
         kind: str = "chat", address: str | None = None, partial: bool = False,
         error: type[APIStatusError] | None = None) -> tuple[CallInfo, CallOutcome]:
    """A call and its outcome: started at ``at`` (seconds), answered by ``provider/model``; ``cost`` is
    its total in dollars, split over input and output (``None``: tokens at an unknown price)."""
    used = usage if usage is not None else Usage(input=100, output=20)
    asked = address or f"{provider}/{model}"
    asked_provider, _, asked_model = asked.partition("/")
    info = CallInfo(kind=kind, address=asked, provider=asked_provider, model=asked_model,  # type: ignore[arg-type]
                    tags=dict(tags or {}), caller=caller, started=at)
    priced = None
    if cost is not None:
        total = Decimal(cost)
        priced = Cost(input=total / 2, output=total - total / 2, cache_read=0, cache_write=0,
                      cache_write_1h=0, reasoning=0, status="exact", price_version="catalog:2026-11-01")
    elif used.total:
        priced = Cost(input=None, output=None, status="unknown")
    failure = None
    if status == "error":
        failure = (error or ServerError)("over capacity", provider=provider, model=model, status_code=503)
    failed = status == "error"
    outcome = CallOutcome(status=status, provider=provider, model=model,  # type: ignore[arg-type]
                          usage=None if failed else used, cost=None if failed else priced,
                          duration=duration, time_to_first_token=ttft, partial=partial, error=failure)
    return info, outcome


def records(calls: Sequence[tuple[CallInfo, CallOutcome]], *, content: bool = False) -> list[Record]:
    """The records the recorder would write for ``calls``."""
    return [record(info, outcome, content=content) for info, outcome in calls]


def put(url: str, calls: Sequence[tuple[CallInfo, CallOutcome]] | Sequence[Record], *,
        content: bool = False) -> list[Record]:
    """Write ``calls`` (or records already made) to the store at ``url`` as the writer does: one
    transaction, rollups in it. Returns the records."""
    made = [c if isinstance(c, Record) else record(*c, content=content) for c in calls]
    db = connect(url)
    try:
        migrate(db)
        deliver(db, made)
    finally:
        db.close()
    return made


def opened(url: str) -> Database:
    """A migrated connection to ``url`` (the caller closes it)."""
    db = connect(url)
    migrate(db)
    return db

