"""The store's read queries: recent calls (:func:`logs`) and summaries (:func:`usage`), the same SQL on
SQLite and PostgreSQL.

:func:`logs` reads ``calls`` through the indexes of the first migration: ``started_at`` alone, or behind
the provider and model, the caller, the conversation or the status. :func:`usage` reads only the
rollups: whole days from the day grain, the hours around them from the hour grain, so a month's summary
reads a few rows per model and day whatever the number of calls. Its window is therefore whole hours:
``since`` is taken back to the start of its hour and ``until`` on to the end of its own, and the
report says which window it covers. Latency and time-to-first-token percentiles come from the rollups'
histograms (:mod:`modelplex_store.percentiles` gives their error bound), never from a scan.

Money is exact: ``cost_nanos`` (integer nano-dollars) become :class:`~decimal.Decimal` dollars. Calls
whose cost is unknown (tokens at an unknown price) are counted apart (``unpriced_calls``), never as 0; a
group whose every call is unpriced has ``cost`` ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

import attrs

from modelplex_store.db import Database
from modelplex_store.percentiles import percentile
from modelplex_store.schema import (
    CALLS,
    LATENCY_COLUMNS,
    LATENCY_EDGES_MS,
    ROLLUP_SUMS,
    TOKEN_BUCKETS,
    TTFT_COLUMNS,
)
from modelplex_store.when import DAY, HOUR, from_micros, iso

K = TypeVar("K")
UsageBy = Literal["model", "provider", "day", "caller"]
USAGE_BY: tuple[UsageBy, ...] = ("model", "provider", "day", "caller")
STATUSES = ("ok", "error", "cancelled")
#: ``logs`` returns at most this many calls, whatever ``n`` asks.
MAX_LOGS = 100_000

_COLUMNS = ", ".join(CALLS.names)
_SUM_INDEX = {name: i for i, name in enumerate(ROLLUP_SUMS)}
_LAT = slice(_SUM_INDEX[LATENCY_COLUMNS[0]], _SUM_INDEX[LATENCY_COLUMNS[-1]] + 1)
_TTFT = slice(_SUM_INDEX[TTFT_COLUMNS[0]], _SUM_INDEX[TTFT_COLUMNS[-1]] + 1)
# The other statuses' calls, summed beside the rollups' own sums (which hold errors but not these).
_EXTRA = ("cancelled",)
_SUMS_SQL = ", ".join(f"SUM({c})" for c in ROLLUP_SUMS) + \
    ", SUM(CASE WHEN status = 'cancelled' THEN calls ELSE 0 END)"
#: How many sums :func:`rollup_sums` gives per group.
SUMS_WIDTH = len(ROLLUP_SUMS) + len(_EXTRA)
_NANO = Decimal(1).scaleb(-9)


def dollars(nanos: int | None) -> Decimal | None:
    """Integer nano-dollars as exact :class:`~decimal.Decimal` dollars; ``None`` stays unknown."""
    return None if nanos is None else Decimal(nanos) * _NANO


def money_text(amount: Decimal | None) -> str | None:
    """An amount as plain decimal text without trailing zeros (``0.00125``, ``0``); ``None`` stays."""
    if amount is None:
        return None
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- logs -------------------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class CallRecord:
    """One recorded call, as :func:`logs` returns it.

    Times are aware UTC datetimes; ``cost`` and ``reported_cost`` are Decimal dollars, ``None`` when
    unknown (never 0 for unknown); durations are microseconds (``latency_ms``/``ttft_ms`` in
    milliseconds); ``tags`` are the tags that have no column of their own.
    """

    id: str
    parent_id: str | None = None
    kind: str
    started_at: datetime
    ended_at: datetime
    provider: str | None = None
    requested: str
    model: str | None = None
    chain: str | None = None
    route: str | None = None
    caller: str | None = None
    user_id: str | None = None
    agent: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    tags: Mapping[str, Any] = attrs.field(factory=dict)
    status: str
    error_class: str | None = None
    status_code: int | None = None
    finish_reason: str | None = None
    stream: bool = False
    partial: bool = False
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    output: int = 0
    reasoning: int = 0
    usage_estimated: bool = False
    cost: Decimal | None = None
    cost_status: str | None = None
    price_version: str | None = None
    reported_cost: Decimal | None = None
    duration_us: int = 0
    ttft_us: int | None = None
    waited_us: int | None = None

    @property
    def latency_ms(self) -> float:
        """The whole call, in milliseconds."""
        return self.duration_us / 1000

    @property
    def ttft_ms(self) -> float | None:
        """A stream's time to its first content, in milliseconds."""
        return None if self.ttft_us is None else self.ttft_us / 1000

    @property
    def total_input(self) -> int:
        """Every input token: uncached, read from cache and written to it."""
        return self.input + self.cache_read + self.cache_write + self.cache_write_1h

    @property
    def total_output(self) -> int:
        """Every output token, reasoning included."""
        return self.output + self.reasoning

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values: times in ISO 8601 UTC, money as exact decimal strings."""
        data = attrs.asdict(self, recurse=False)
        data["started_at"] = self.started_at.isoformat().replace("+00:00", "Z")
        data["ended_at"] = self.ended_at.isoformat().replace("+00:00", "Z")
        data["tags"] = dict(self.tags)
        for name in ("cost", "reported_cost"):
            data[name] = money_text(data[name])
        return data


_BOOLS = frozenset({"stream", "partial", "usage_estimated"})


def call_record(names: Sequence[str], row: Sequence[Any]) -> CallRecord:
    """A ``calls`` row (its column ``names`` and values) as a :class:`CallRecord`; columns a newer
    schema added and this code does not know are left out."""
    values = dict(zip(names, row, strict=True))
    fields = attrs.fields_dict(CallRecord)
    data: dict[str, Any] = {k: v for k, v in values.items() if k in fields}
    data["started_at"] = from_micros(values["started_at"])
    data["ended_at"] = from_micros(values["ended_at"])
    data["tags"] = json.loads(values["tags"]) if values.get("tags") else {}
    data["cost"] = dollars(values.get("cost_nanos"))
    data["reported_cost"] = dollars(values.get("reported_cost_nanos"))
    for name in _BOOLS:
        data[name] = bool(values.get(name))
    return CallRecord(**data)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_SEARCHED = ("provider", "model", "requested", "chain", "error_class", "tags")


def _model_filter(db: Database, model: str, attempts: bool) -> tuple[str, list[Any]]:
    provider, slash, name = model.partition("/")
    if slash and provider == "chain":
        return "chain = ?", [name]
    if slash:
        return "provider = ? AND model = ?", [provider, name]
    if attempts:  # an attempt's provider may be one no call was answered by: no rollup names it
        return "model = ?", [model]
    # A name alone: the providers that served it, from the day rollups (a few rows), so that the
    # (provider, model, started_at) index finds the calls rather than a walk through every call.
    found = db.execute("SELECT DISTINCT provider FROM rollups WHERE grain = 'day' AND model = ?",
                       (model,)).fetchall()
    providers = sorted(str(r[0]) for r in found)
    if not providers or "" in providers:  # none (pruned, or never served), or calls without a provider
        return "model = ?", [model]
    marks = ", ".join("?" * len(providers))
    return f"provider IN ({marks}) AND model = ?", [*providers, model]


def call_filter(db: Database, *, model: str | None = None, provider: str | None = None,
                status: str | None = None, since: int | None = None, until: int | None = None,
                conversation: str | None = None, caller: str | None = None,
                attempts: bool = False) -> tuple[list[str], list[Any]]:
    """The ``WHERE`` clauses (to join with ``AND``) and their parameters that select the calls matching
    every filter given, as :func:`logs` takes them; attempts of routed calls left out unless ``attempts``."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    where: list[str] = [] if attempts else ["parent_id IS NULL"]
    params: list[Any] = []
    if model is not None:
        clause, values = _model_filter(db, model, attempts)
        where.append(clause)
        params += values
    for column, value in (("provider", provider), ("status", status), ("conversation_id", conversation),
                          ("caller", caller)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    _bounded(where, params, "started_at", since, until)
    return where, params


def _bounded(where: list[str], params: list[Any], column: str, start: int | None, end: int | None) -> None:
    """Add ``start <= column < end`` to ``where`` and ``params`` (``None``: no bound)."""
    if start is not None:
        where.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{column} < ?")
        params.append(end)


def logs(db: Database, n: int = 20, *, model: str | None = None, provider: str | None = None,
         status: str | None = None, since: int | None = None, until: int | None = None,
         conversation: str | None = None, search: str | None = None, caller: str | None = None,
         attempts: bool = False) -> list[CallRecord]:
    """The ``n`` most recent calls that match every filter given, newest first.

    ``model`` is a model's name (``gpt-4o``), ``provider/name`` or ``chain/NAME``; ``since`` and
    ``until`` are microseconds since the epoch (``started_at >= since``, ``< until``); ``search``
    matches, ignoring case, the provider, model, requested address, chain, error class or tags, and the
    request and response bodies where they are stored. Attempts of routed calls are left out unless
    ``attempts`` (their call's ``route`` sums them up).
    """
    where, params = call_filter(db, model=model, provider=provider, status=status, since=since,
                                until=until, conversation=conversation, caller=caller, attempts=attempts)
    if search:
        pattern = _like(search)
        # Both ignore case: SQLite's LIKE does for ASCII (and lower() would not do more without ICU).
        like = "LIKE" if db.dialect == "sqlite" else "ILIKE"
        found = [f"{c} {like} ? ESCAPE '\\'" for c in _SEARCHED]
        found.append("EXISTS (SELECT 1 FROM call_contents WHERE call_contents.call_id = calls.id AND "  # noqa: S608
                     f"(request {like} ? ESCAPE '\\' OR response {like} ? ESCAPE '\\'))")
        where.append("(" + " OR ".join(found) + ")")
        params += [pattern] * (len(_SEARCHED) + 2)
    return newest(db, where, params, max(0, min(n, MAX_LOGS)))


def newest(db: Database, where: Sequence[str], params: Sequence[Any], n: int) -> list[CallRecord]:
    """The ``n`` newest calls (by ``started_at``, then ``id``) that every clause of ``where`` selects."""
    sql = f"SELECT {_COLUMNS} FROM calls"  # noqa: S608 - names from schema.py, values in parameters
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY started_at DESC, id DESC LIMIT ?"
    cursor = db.execute(sql, [*params, n])
    names = [d[0] for d in cursor.description]
    return [call_record(names, row) for row in cursor.fetchall()]


# -- usage ------------------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class UsageRow:
    """The calls of one model, provider, day or caller (``key``; ``None`` for calls with no caller, or
    refused before any model was chosen) in a window.

    ``errors`` and ``cancelled`` are among ``calls``. Tokens are the usage buckets summed. ``cost`` is
    the exact sum over the ``priced_calls``; the ``unpriced_calls`` (tokens at an unknown price) are
    not in it, and ``cost`` is ``None`` when no call was priced. Percentiles are milliseconds, read from
    the rollups' histograms (``None`` when no call measured them: time to first token is a stream's).
    """

    key: str | None
    calls: int = 0
    errors: int = 0
    cancelled: int = 0
    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    output: int = 0
    reasoning: int = 0
    estimated_calls: int = 0
    priced_calls: int = 0
    unpriced_calls: int = 0
    cost: Decimal | None = None
    latency_mean_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    latency_histogram: tuple[int, ...] = ()
    ttft_histogram: tuple[int, ...] = ()

    @property
    def tokens(self) -> int:
        """Every token of every bucket."""
        return sum(getattr(self, b) for b in TOKEN_BUCKETS)

    def to_json(self) -> dict[str, Any]:
        """The row as JSON values: cost as an exact decimal string (``null`` when unknown)."""
        data = attrs.asdict(self, recurse=False)
        data["cost"] = money_text(self.cost)
        data["tokens"] = self.tokens
        data["latency_histogram"] = list(self.latency_histogram)
        data["ttft_histogram"] = list(self.ttft_histogram)
        return data


@attrs.frozen(kw_only=True)
class UsageReport:
    """A summary: its rows (biggest cost first; by day, in date order), their ``total``, and the window
    it covers, ``since`` (``None``: from the first call) to ``until`` (``None``: up to now), in
    microseconds since the epoch, on whole hours. ``latency_edges_ms`` are the histograms' bucket edges."""

    by: UsageBy
    since: int | None
    until: int | None
    rows: tuple[UsageRow, ...]
    total: UsageRow
    latency_edges_ms: tuple[float, ...] = LATENCY_EDGES_MS

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {"by": self.by, "since": iso(self.since), "until": iso(self.until),
                "rows": [r.to_json() for r in self.rows], "total": self.total.to_json(),
                "latency_edges_ms": list(self.latency_edges_ms)}


def _floor(micros: int, width: int) -> int:
    return micros - micros % width


def _ceil(micros: int, width: int) -> int:
    return -_floor(-micros, width)


def windows(since: int | None, until: int | None) -> tuple[int | None, int | None,
                                                           list[tuple[str, int | None, int | None]]]:
    """The whole-hour window around ``[since, until)`` and the pieces that cover it: ``(grain, start,
    end)`` with ``None`` for no bound; whole days from the day grain, the hours either side of them
    from the hour grain."""
    if since is not None and until is not None and until <= since:
        raise ValueError(f"the window ends ({iso(until)}) before it starts ({iso(since)})")
    start = None if since is None else _floor(since, HOUR)
    end = None if until is None else _ceil(until, HOUR)
    first_day = None if start is None else _ceil(start, DAY)
    last_day = None if end is None else _floor(end, DAY)
    if first_day is not None and last_day is not None and last_day <= first_day:
        return start, end, [("hour", start, end)]
    pieces: list[tuple[str, int | None, int | None]] = [("day", first_day, last_day)]
    if start is not None and first_day is not None and start < first_day:
        pieces.append(("hour", start, first_day))
    if end is not None and last_day is not None and last_day < end:
        pieces.append(("hour", last_day, end))
    return start, end, pieces


_KEYS: dict[UsageBy, tuple[str, ...]] = {
    "model": ("provider", "model"), "provider": ("provider",), "caller": ("caller",),
    # Integer division: the day a bucket of either grain starts in (no literal % in shared SQL).
    "day": (f"(bucket_start / {DAY}) * {DAY}",),
}


def _key(by: UsageBy, values: Sequence[Any]) -> str | None:
    if by == "day":
        text = iso(int(values[0]))
        return None if text is None else text[:10]
    if by == "model":
        provider, model = values
        if not provider and not model:
            return None
        return f"{provider}/{model}" if provider and model else (provider or model)
    return values[0] or None


def _read(db: Database, by: UsageBy, pieces: Iterable[tuple[str, int | None, int | None]],
          only: Sequence[tuple[str, str]]) -> dict[str | None, list[int]]:
    return rollup_sums(db, _KEYS[by], pieces, only, lambda values: _key(by, values))


def rollup_sums(db: Database, keys: Sequence[str], pieces: Iterable[tuple[str, int | None, int | None]],
                only: Sequence[tuple[str, str]],
                key: Callable[[Sequence[Any]], K]) -> dict[K, list[int]]:
    """The rollups' sums (:data:`ROLLUP_SUMS`, then the cancelled calls: :func:`usage_row` reads them)
    grouped by the SQL expressions ``keys``, over the ``pieces`` of :func:`windows`, only the rows whose
    columns equal ``only``'s values; each group named by ``key`` of its ``keys``' values (groups of the
    same name are added up)."""
    totals: dict[K, list[int]] = {}
    for grain, start, end in pieces:
        where, params = ["grain = ?"], [grain]  # type: list[str], list[Any]
        for column, wanted in only:
            where.append(f"{column} = ?")
            params.append(wanted)
        _bounded(where, params, "bucket_start", start, end)
        group = ", ".join(keys)
        sql = (f"SELECT {group}, {_SUMS_SQL} FROM rollups "  # noqa: S608 - no value in the text
               f"WHERE {' AND '.join(where)} GROUP BY {group}")
        for row in db.execute(sql, params).fetchall():
            name = key(row[:len(keys)])
            sums = [int(v or 0) for v in row[len(keys):]]
            total = totals.get(name)
            if total is None:
                totals[name] = sums
            else:
                for i, value in enumerate(sums):
                    total[i] += value
    return totals


def usage_row(key: str | None, sums: Sequence[int]) -> UsageRow:
    """The :class:`UsageRow` named ``key`` of sums as :func:`rollup_sums` gives them."""
    s = dict(zip((*ROLLUP_SUMS, *_EXTRA), sums, strict=True))
    latency, ttft = tuple(sums[_LAT]), tuple(sums[_TTFT])
    calls = s["calls"]
    return UsageRow(
        key=key, calls=calls, errors=s["errors"], cancelled=s["cancelled"],
        **{b: s[b] for b in TOKEN_BUCKETS},
        estimated_calls=s["estimated_calls"], priced_calls=s["priced_calls"],
        unpriced_calls=s["unpriced_calls"],
        cost=dollars(s["cost_nanos"]) if s["priced_calls"] else None,
        latency_mean_ms=s["duration_us"] / calls / 1000 if calls else None,
        latency_p50_ms=percentile(latency, LATENCY_EDGES_MS, 0.5),
        latency_p95_ms=percentile(latency, LATENCY_EDGES_MS, 0.95),
        ttft_p50_ms=percentile(ttft, LATENCY_EDGES_MS, 0.5),
        ttft_p95_ms=percentile(ttft, LATENCY_EDGES_MS, 0.95),
        latency_histogram=latency, ttft_histogram=ttft)


def usage(db: Database, *, by: UsageBy = "model", since: int | None = None, until: int | None = None,
          provider: str | None = None, model: str | None = None, caller: str | None = None) -> UsageReport:
    """Calls, errors, tokens per bucket, cost and latency percentiles per ``by`` (model, provider, day
    or caller) from ``since`` to ``until`` (microseconds since the epoch; ``None``: no bound), read
    from the rollups on whole hours (see the module's docstring); only the calls of ``provider``,
    ``model`` (a name, or ``provider/name``) and ``caller`` where given."""
    if by not in USAGE_BY:
        raise ValueError(f"usage by {by!r}: give one of {', '.join(USAGE_BY)}")
    only: list[tuple[str, str]] = []
    if model is not None and "/" in model:
        provider_of, _, model = model.partition("/")
        only.append(("provider", provider_of))
    only += [(column, value) for column, value in (("provider", provider), ("model", model),
                                                   ("caller", caller)) if value is not None]
    start, end, pieces = windows(since, until)
    totals = _read(db, by, pieces, only)
    rows = [usage_row(key, sums) for key, sums in totals.items()]
    if by == "day":
        rows.sort(key=lambda r: r.key or "")
    else:
        rows.sort(key=lambda r: (-(r.cost or 0), -r.calls, r.key or ""))
    every = [sum(sums[i] for sums in totals.values()) for i in range(SUMS_WIDTH)]
    return UsageReport(by=by, since=start, until=end, rows=tuple(rows), total=usage_row(None, every))
