"""The Providers tab: every installed provider plugin, configured or not; its key (added, replaced or
removed in the key store of ``modelplex keys``, shown by its last four characters only); its base URL,
headers and default model (saved in the config file as ``modelplex providers add`` saves them); a test
connection (the free model listing of ``modelplex providers test``) with its latency and result; its
health as the serving client knows it: failures, cool-down and last error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.clients import fresh, serving
from modelplex_gateway.ui.forms import first, form
from modelplex_gateway.ui.provider_rows import ProviderRow, provider_names, row
from modelplex_gateway.ui.render import fragment, page

if TYPE_CHECKING:
    import modelplex

#: Seconds a test connection waits for the listing (``modelplex providers test``'s default).
TEST_TIMEOUT = 15.0


async def _health(request: Request) -> dict[str, Any]:
    from modelplex._health import health

    return {h.target: h for h in await health(serving(request), probe=False)}


async def _rows(request: Request, only: str | None = None) -> list[ProviderRow]:
    known = await _health(request)
    async with fresh(request) as client:
        names = provider_names(client) if only is None else [only]
        return [row(client, name, known) for name in names]


async def tab(request: Request) -> Response:
    """The whole tab."""
    return page(request, "providers.html", "providers", rows=await _rows(request))


async def _one(request: Request, name: str, **values: Any) -> Response:
    rows = await _rows(request, name)
    return fragment(request, "provider_row.html", r=rows[0], **values)


def _known(client: modelplex.AsyncClient, name: str) -> None:
    from modelplex._keys.store import check_provider
    from modelplex_gateway.errors import GatewayError

    check_provider(name)
    if name not in provider_names(client):
        raise GatewayError(404, "not_found_error", f"no provider {name!r}", code="unknown_provider")


async def set_key(request: Request) -> Response:
    """Add or replace a provider's key in the key store."""
    import anyio

    from modelplex import ModelplexError
    from modelplex._keys import KeyStore

    name = request.path_params["name"]
    key = first(await form(request), "key")
    async with fresh(request) as client:
        _known(client, name)
        store = KeyStore(client.settings.env)
    try:
        # remember(): from here on no log line or error of this process shows the key.
        await anyio.to_thread.run_sync(lambda: store.set(name, key, "auto"))
    except ModelplexError as exc:
        return await _one(request, name, problem=str(exc))
    return await _one(request, name, notice="key saved")


async def remove_key(request: Request) -> Response:
    """Remove a provider's key from the key store."""
    import anyio

    from modelplex._keys import KeyStore

    name = request.path_params["name"]
    async with fresh(request) as client:
        _known(client, name)
        store = KeyStore(client.settings.env)
    removed = await anyio.to_thread.run_sync(lambda: store.remove(name))
    return await _one(request, name, notice="key removed" if removed else "no key was stored")


async def save_settings(request: Request) -> Response:
    """Save a provider's base URL, default model, headers and whether it is enabled."""
    import anyio

    from modelplex import ModelplexError
    from modelplex_gateway.ui.provider_settings import save

    name = request.path_params["name"]
    fields = await form(request)
    async with fresh(request) as client:
        _known(client, name)
        try:
            await anyio.to_thread.run_sync(lambda: save(client, name, fields))
        except (ModelplexError, ValueError) as exc:
            return await _one(request, name, problem=str(exc))
    return await _one(request, name, notice="settings saved")


async def test_connection(request: Request) -> Response:
    """List the provider's models (free of charge) with a client reading the configuration as saved."""
    from modelplex import ModelplexError
    from modelplex._call.attempt import listing
    from modelplex._cli.providers import _explain

    name = request.path_params["name"]
    outcome: dict[str, Any] = {"ok": False, "seconds": None, "models": None, "error": None}
    async with fresh(request) as client:
        _known(client, name)
        current = row(client, name, {})
        try:
            record = client.registry.owner(client.settings.plugin_for(name))
            if "modelplex_list_models" not in record.hooks:
                outcome["error"] = (f"its plugin ({record.name}) lists no models, the one check that "
                                    f"costs nothing")
            else:
                if record.info.requires_api_key:
                    client.context(name).api_key()  # no key: say so before any request
                started = time.monotonic()
                try:
                    listed = await listing(client, name, TEST_TIMEOUT)
                finally:
                    outcome["seconds"] = time.monotonic() - started
                outcome.update(ok=True, models=len(listed))
        except ModelplexError as exc:
            outcome["error"] = _explain(exc, name, {"key_from": current.key_from})
    return fragment(request, "provider_test.html", name=name, outcome=outcome)


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/providers", tab, methods=["GET"]),
            Route("/providers/{name}/key", set_key, methods=["POST"]),
            Route("/providers/{name}/key", remove_key, methods=["DELETE"]),
            Route("/providers/{name}/settings", save_settings, methods=["POST"]),
            Route("/providers/{name}/test", test_connection, methods=["POST"])]
