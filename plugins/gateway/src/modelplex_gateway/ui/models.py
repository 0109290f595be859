"""The Models tab: the catalog merged with live listings, grouped by provider; search and filters
(capability, tier, context, price, local); each model's limits, prices and where each came from, its
privacy (local, or the provider's retention note); models of providers that cannot be called shown
disabled; the default model and aliases set in the config file as ``modelplex models default`` and
``modelplex aliases set`` set them (with their checks)."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.clients import fresh, serving
from modelplex_gateway.ui.forms import first, form
from modelplex_gateway.ui.model_rows import BUCKETS, CAPABILITIES, TIERS, Filters, groups, names
from modelplex_gateway.ui.render import fragment, page

if TYPE_CHECKING:
    import modelplex

#: Seconds each provider has to answer a refresh of the live listings.
LIVE_TIMEOUT = 5.0


async def _view(request: Request, **values: Any) -> dict[str, Any]:
    from modelplex._aliases import aliases_of

    filters = Filters.of(request.query_params, request.query_params.getlist("capability"))
    async with fresh(request) as configured:
        found = groups(serving(request), configured, filters)
        config = configured.config
        return {"groups": found, "filters": filters, "capabilities": CAPABILITIES, "tiers": TIERS,
                "buckets": BUCKETS, "providers": names(configured),
                "default_model": config.get("default_model"), "aliases": sorted(aliases_of(config).items()),
                "count": sum(len(g.rows) for g in found), **values}


async def tab(request: Request) -> Response:
    """The whole tab, filtered by its query string."""
    return page(request, "models.html", "models", **await _view(request))


async def table(request: Request) -> Response:
    """The catalog's table alone, for the filters' live updates; the page's URL takes the filters (so a
    reload or a shared link shows the same selection)."""
    from modelplex_gateway.ui.render import root

    response = fragment(request, "models_table.html", **await _view(request))
    query = request.url.query
    response.headers["hx-push-url"] = f"{root(request)}/models" + (f"?{query}" if query else "")
    return response


def _checked(client: modelplex.AsyncClient, address: str) -> str | None:
    """Why ``address`` cannot be saved (the CLI's check: a typo gets close names), or ``None``."""
    import click

    from modelplex._cli.models_default import check_address

    # check_address reads a sync client's async_client and chains(): the same facts from this one.
    shim = types.SimpleNamespace(async_client=client, chains=client.chains)
    try:
        check_address(shim, address)  # type: ignore[arg-type]
    except click.ClickException as exc:
        return exc.message
    return None


async def _settings(request: Request, **values: Any) -> Response:
    return fragment(request, "models_settings.html", **await _view(request, **values))


async def set_default(request: Request) -> Response:
    """Make an address the default model (``default_model`` at the top of the config file)."""
    import anyio

    from modelplex._config_write import config_path, editing

    address = first(await form(request), "address")
    async with fresh(request) as client:
        problem = _checked(client, address) if address else "give a model's address"
        if problem is not None:
            return await _settings(request, problem=problem)

        def write() -> None:
            with editing(config_path(client.settings.env)) as doc:
                doc["default_model"] = address

        await anyio.to_thread.run_sync(write)
    return await _settings(request, notice=f"default model: {address}")


async def set_alias(request: Request) -> Response:
    """Make a name stand for an address (``[aliases]`` of the config file)."""
    import anyio

    from modelplex import ModelplexError
    from modelplex._aliases import check_alias_name, check_target
    from modelplex._config_write import config_path, editing, table

    fields = await form(request)
    name, address = first(fields, "name"), first(fields, "address")
    async with fresh(request) as client:
        try:
            check_alias_name(name)
            check_target(name, address)
        except ModelplexError as exc:
            return await _settings(request, problem=str(exc))
        problem = _checked(client, address)
        if problem is not None:
            return await _settings(request, problem=problem)

        def write() -> None:
            with editing(config_path(client.settings.env)) as doc:
                table(doc, "aliases")[name] = address

        await anyio.to_thread.run_sync(write)
    return await _settings(request, notice=f"{name} → {address}")


async def remove_alias(request: Request) -> Response:
    """Remove an alias."""
    import anyio

    from modelplex._config_write import config_path, editing

    name = request.path_params["name"]
    async with fresh(request) as client:
        def write() -> bool:
            with editing(config_path(client.settings.env)) as doc:
                section = doc.get("aliases")
                if section is None or name not in section:
                    return False
                del section[name]
                if not section:
                    del doc["aliases"]
                return True

        removed = await anyio.to_thread.run_sync(write)
    return await _settings(request, notice=f"alias {name} removed" if removed else f"no alias {name}")


async def refresh(request: Request) -> Response:
    """Ask every provider that can be called for its model list (free), at once, with the configuration
    as saved (a key added a moment ago counts); what they said joins what the serving client learned,
    where the catalog's pages and chains read it."""
    import anyio

    from modelplex import ModelplexError
    from modelplex._call.attempt import listing
    from modelplex_gateway.ui.model_rows import problem

    failed: dict[str, str] = {}
    async with fresh(request) as configured:
        asked = [n for n in names(configured) if problem(configured, n) is None
                 and "modelplex_list_models" in configured.registry.owner(
                     configured.settings.plugin_for(n)).hooks]

        async def one(name: str) -> None:
            try:
                await listing(configured, name, LIVE_TIMEOUT)
            except ModelplexError as exc:
                failed[name] = str(exc)

        async with anyio.create_task_group() as group:
            for name in asked:
                group.start_soon(one, name)
        serving(request).learned.update(configured.learned)
    return fragment(request, "models_table.html", **await _view(request, failed=sorted(failed.items()),
                                                                asked=asked))


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/models", tab, methods=["GET"]), Route("/models/table", table, methods=["GET"]),
            Route("/models/refresh", refresh, methods=["POST"]),
            Route("/models/default", set_default, methods=["POST"]),
            Route("/models/aliases", set_alias, methods=["POST"]),
            Route("/models/aliases/{name}", remove_alias, methods=["DELETE"])]
