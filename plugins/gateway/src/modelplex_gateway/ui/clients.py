"""The clients a dashboard page reads through.

The serving client (``app.state.client``) holds what lives in memory: health, cool-downs, what the
providers' listings said. The configuration (config file, key store) is read afresh for every page and
every test connection by a short-lived client built like the serving one: an edit made in the dashboard
(or by hand, or by ``modelplex providers add``) shows on the next page load, and the serving client's
calls in flight are never disturbed by a change of their configuration under them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    import modelplex


def serving(request: Request) -> modelplex.AsyncClient:
    """The gateway's own client."""
    client: modelplex.AsyncClient = request.app.state.client
    return client


def _like(client: modelplex.AsyncClient) -> modelplex.AsyncClient:
    import modelplex

    # The same sources as the serving client (its environment, config file, explicit providers and
    # plugins), so that a test's client and a user's read the files their server reads.
    return modelplex.AsyncClient(env=client.settings.env, config_file=client._config_file,
                                 providers=client._providers_arg,
                                 plugins=client._explicit_plugins,
                                 autoload=client._autoload, transport=client._transport)


@asynccontextmanager
async def fresh(request: Request) -> AsyncIterator[modelplex.AsyncClient]:
    """A client reading the configuration as it is on disk now; closed when the block ends."""
    client = _like(serving(request))
    try:
        yield client
    finally:
        await client.aclose()
