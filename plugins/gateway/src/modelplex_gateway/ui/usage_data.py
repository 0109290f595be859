"""What the Usage & costs tab reads from the store, synchronously (the tab runs it in a thread).

Charts and tables come from the store's hourly rollups (``Store.usage``), never from the call rows: a
million calls cost the same as a hundred. The call log is read a page at a time with a keyset cursor
(the last row's ``started_at`` and ``id``), so the thousandth page costs what the first does and there is
no page limit; the CSV export streams every call matching the same filters, oldest first, in the
store's export format.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from modelplex_store.api import Store
    from modelplex_store.queries import CallRecord

#: Calls shown per page of the log.
PAGE = 50
#: The windows offered; the filter also takes any ``since`` the CLI takes (``2026-11-01``, ``90d``).
WINDOWS = ("24h", "7d", "30d", "90d")


@attrs.frozen(kw_only=True, slots=True)
class Filters:
    """The filters of the page, the log and the export (empty: not filtered)."""

    since: str = "30d"
    until: str = ""
    provider: str = ""
    model: str = ""
    status: str = ""
    caller: str = ""

    @classmethod
    def of(cls, query: Mapping[str, str]) -> Filters:
        """The filters of a query string (unknown names ignored)."""
        names = attrs.fields_dict(cls)
        return cls(**{k: query[k].strip() for k in names if k in query})

    def query(self) -> str:
        """The filters as a query string, for links (export, next page)."""
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in attrs.asdict(self).items() if v})


@attrs.frozen(kw_only=True, slots=True)
class Series:
    """One line of a chart: ``name``'s calls, tokens and cost on each day of ``Overview.days``."""

    name: str
    calls: tuple[int, ...]
    tokens: tuple[int, ...]
    cost: tuple[float, ...]


@attrs.frozen(kw_only=True, slots=True)
class Overview:
    """The tab's summaries: totals, per-day series by provider and by model, and the tables."""

    total: Any
    days: tuple[str, ...]
    by_provider: tuple[Series, ...]
    by_model: tuple[Series, ...]
    providers: tuple[Any, ...]
    models: tuple[Any, ...]


def _cube(store: Store, filters: Filters) -> dict[tuple[str, str | None, str | None], list[int]]:
    """The rollups' sums per (day, provider, model) in the window: one query per grain, a few hundred
    groups whatever the number of calls; every table and chart of the tab is summed from it."""
    from modelplex_store.queries import STATUSES, rollup_sums, windows
    from modelplex_store.when import DAY, iso, now_micros, to_micros

    now = now_micros()
    since = to_micros(filters.since, now=now) if filters.since else None
    until = to_micros(filters.until, now=now) if filters.until else None
    only: list[tuple[str, str]] = []
    model = filters.model
    if "/" in model:
        provider_of, _, model = model.partition("/")
        only.append(("provider", provider_of))
    if filters.status and filters.status not in STATUSES:
        raise ValueError(f"status {filters.status!r} is not one of {', '.join(STATUSES)}")
    # The rollups are kept per status too: the status filter narrows the charts and tables exactly.
    only += [(c, v) for c, v in (("provider", filters.provider), ("model", model),
                                 ("caller", filters.caller), ("status", filters.status)) if v]

    def key(values: Sequence[Any]) -> tuple[str, str | None, str | None]:
        return (iso(int(values[0])) or "")[:10], values[1] or None, values[2] or None

    return rollup_sums(store.database, (f"(bucket_start / {DAY}) * {DAY}", "provider", "model"),
                       windows(since, until)[2], only, key)


def _summed(groups: dict[str | None, list[list[int]]]) -> tuple[Any, ...]:
    from modelplex_store.queries import usage_row

    return tuple(usage_row(key, [sum(column) for column in zip(*sums, strict=True)])
                 for key, sums in groups.items())


def _model_key(provider: str | None, model: str | None) -> str | None:
    if not provider and not model:
        return None
    return f"{provider}/{model}" if provider and model else (provider or model)


def overview(store: Store, filters: Filters) -> Overview:
    """The summaries of the calls ``filters`` select, from the rollups."""
    cube = _cube(store, filters)
    days = tuple(sorted({d for d, _, _ in cube}))
    by: dict[str, dict[str | None, list[list[int]]]] = {"day": {}, "provider": {}, "model": {},
                                                          "all": {}}
    cells: dict[str, dict[tuple[str | None, str], list[list[int]]]] = {"provider": {}, "model": {}}
    for (day, provider, model), sums in cube.items():
        by["day"].setdefault(day, []).append(sums)
        by["provider"].setdefault(provider, []).append(sums)
        by["model"].setdefault(_model_key(provider, model), []).append(sums)
        by["all"].setdefault(None, []).append(sums)
        cells["provider"].setdefault((provider, day), []).append(sums)
        cells["model"].setdefault((_model_key(provider, model), day), []).append(sums)

    def ranked(rows: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(sorted(rows, key=lambda r: (-(r.cost or 0), -r.calls, r.key or "")))

    providers, models = ranked(_summed(by["provider"])), ranked(_summed(by["model"]))

    def series(kind: str, rows: tuple[Any, ...]) -> tuple[Series, ...]:
        out = []
        for row in rows:
            if not row.key:
                continue
            per_day = [_summed({None: cells[kind][(row.key, d)]})[0] if (row.key, d) in cells[kind] else None
                       for d in days]
            out.append(Series(name=row.key, calls=tuple(r.calls if r else 0 for r in per_day),
                              tokens=tuple(r.tokens if r else 0 for r in per_day),
                              cost=tuple(float(r.cost or 0) if r else 0.0 for r in per_day)))
        return tuple(out)

    from modelplex_store.queries import SUMS_WIDTH

    total = _summed(by["all"])[0] if cube else _summed({None: [[0] * SUMS_WIDTH]})[0]
    return Overview(total=total, days=days, providers=providers, models=models,
                    by_provider=series("provider", providers), by_model=series("model", models))


def chart_data(view: Overview) -> dict[str, Any]:
    """The charts' data, as the page's script reads it (JSON): days as Unix seconds, one series per
    provider and per model, for each measure."""
    import datetime as dt

    xs = [int(dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC).timestamp()) for d in view.days]
    return {"x": xs, "days": list(view.days),
            "provider": [attrs.asdict(s) for s in view.by_provider],
            "model": [attrs.asdict(s) for s in view.by_model]}


def chart_json(view: Overview) -> str:
    """:func:`chart_data` as JSON to put inside the page's ``<script>`` element: a ``<`` in a model's
    or provider's name is escaped, so no name can close the element and run as markup."""
    import json

    return json.dumps(chart_data(view)).replace("<", "\\u003c")


def _cursor(text: str) -> tuple[int, str] | None:
    micros, _, ident = text.partition(":")
    return (int(micros), ident) if micros.isdigit() and ident else None


def cursor_of(call: CallRecord) -> str:
    """The cursor of the page after ``call``: its start (microseconds) and id."""
    from modelplex_store.when import to_micros

    return f"{to_micros(call.started_at)}:{call.id}"


def _where(store: Store, filters: Filters) -> tuple[list[str], list[Any]]:
    from modelplex_store.queries import call_filter
    from modelplex_store.when import now_micros, to_micros

    now = now_micros()
    return call_filter(store.database, model=filters.model or None, provider=filters.provider or None,
                       status=filters.status or None, caller=filters.caller or None,
                       since=to_micros(filters.since, now=now) if filters.since else None,
                       until=to_micros(filters.until, now=now) if filters.until else None)


def log_page(store: Store, filters: Filters, after: str = "", n: int = PAGE) -> tuple[list[CallRecord], str]:
    """The ``n`` calls after cursor ``after`` (``""``: the newest), newest first, and the cursor of the
    next page (``""``: there is none)."""
    from modelplex_store.queries import newest

    where, params = _where(store, filters)
    cursor = _cursor(after)
    if cursor is not None:
        # started_at <= first: the index's range; the OR only sorts out the ties at that instant.
        where.append("started_at <= ? AND (started_at < ? OR id < ?)")
        params += [cursor[0], cursor[0], cursor[1]]
    calls = newest(store.database, where, params, n + 1)
    more = len(calls) > n
    calls = calls[:n]
    return calls, cursor_of(calls[-1]) if more and calls else ""


def export_csv(store: Store, filters: Filters) -> Iterator[str]:
    """Every call the filters select, oldest first, as the store's CSV export (same columns, money as
    exact decimal dollars), in chunks: memory stays bounded."""
    from modelplex_store.export import export_where

    where, params = _where(store, filters)
    yield from export_where(store.database, "csv", where, params)


def money(value: Decimal | None) -> str:
    """Dollars to the cent for a table (``—`` when no call was priced)."""
    return "—" if value is None else f"${value.quantize(Decimal('0.01'))}"
