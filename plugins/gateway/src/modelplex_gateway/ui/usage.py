"""The Usage & costs tab: cost, tokens and calls per day by provider and by model (uPlot charts drawn from
the store's rollups), latency p50/p95 and errors, the budgets with spent, reserved and alerts fired, the
call log with filters (a keyset cursor: no page limit) and the CSV export of what the filters select,
streamed. The store's queries are synchronous and run in a worker thread (:mod:`.usage_data`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.render import fragment, page
from modelplex_gateway.ui.usage_data import PAGE, WINDOWS, Filters, chart_json, export_csv, log_page, overview


def _open() -> Any:
    import modelplex_store

    return modelplex_store.open()


def _read(filters: Filters) -> tuple[Any, list[Any], str]:
    with _open() as store:
        view = overview(store, filters)
        calls, after = log_page(store, filters)
    return view, calls, after


async def _budgets() -> tuple[list[Any], str | None]:
    """Every budget's counters now, as ``modelplex budgets`` reads them; the reason when they cannot be
    read (the page shows it instead of breaking)."""
    import os

    from modelplex_store.budgets.ledger import LedgerUnavailable
    from modelplex_store.budgets.model import budgets_from
    from modelplex_store.budgets.plugin import ledger_for, ledger_settings
    from modelplex_store.budgets.status import statuses

    from modelplex._config import config_source, load_config

    config = load_config(*config_source(None, os.environ))
    declared = budgets_from(config)
    if not declared:
        return [], None
    url, prefix, _lease = ledger_settings(config, os.environ)
    ledger = ledger_for(url, prefix)
    try:
        return await statuses(declared, ledger), None
    except LedgerUnavailable as exc:
        return [], str(exc)
    finally:
        await ledger.aclose()


def _problem(exc: Exception) -> str:
    from modelplex_store.db import StoreUnavailable

    if isinstance(exc, StoreUnavailable | ValueError):
        return str(exc)
    raise exc


async def tab(request: Request) -> Response:
    """The whole tab."""
    filters = Filters.of(request.query_params)
    try:
        view, calls, after = await anyio.to_thread.run_sync(_read, filters)
    except Exception as exc:  # a bad filter or a store out of reach: said on the page
        return page(request, "usage.html", "usage", filters=filters, windows=WINDOWS, problem=_problem(exc),
                    view=None, calls=[], after="", chart="{}", budgets=[], budget_problem=None,
                    page_size=PAGE)
    from modelplex import ModelplexError

    try:
        budgets, budget_problem = await _budgets()
    except ModelplexError as exc:  # a [[budgets]] entry the config file gets wrong: said, not a 500
        budgets, budget_problem = [], str(exc)
    chart = chart_json(view)
    return page(request, "usage.html", "usage", filters=filters, windows=WINDOWS, problem=None, view=view,
                calls=calls, after=after, chart=chart, budgets=budgets,
                budget_problem=budget_problem, page_size=PAGE)


def _page_of(filters: Filters, after: str) -> tuple[list[Any], str]:
    with _open() as store:
        return log_page(store, filters, after)


async def log(request: Request) -> Response:
    """The next page of the call log (htmx appends it where the "more" row was)."""
    filters = Filters.of(request.query_params)
    calls, after = await anyio.to_thread.run_sync(_page_of, filters, request.query_params.get("after", ""))
    return fragment(request, "usage_log_rows.html", calls=calls, after=after, filters=filters)


async def export(request: Request) -> Response:
    """The calls the filters select as CSV, streamed from the store a thousand rows at a time."""
    filters = Filters.of(request.query_params)

    async def chunks() -> AsyncIterator[str]:
        # One store connection, used by one worker thread at a time, for the whole download.
        store = await anyio.to_thread.run_sync(_open)
        try:
            produced = export_csv(store, filters)
            while (chunk := await anyio.to_thread.run_sync(next, produced, None)) is not None:
                yield chunk
        finally:
            store.close()

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": 'attachment; filename="modelplex-calls.csv"'})


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/usage", tab, methods=["GET"]), Route("/usage/log", log, methods=["GET"]),
            Route("/usage/export.csv", export, methods=["GET"])]
