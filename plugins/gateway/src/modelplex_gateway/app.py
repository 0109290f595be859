"""The ASGI application: :func:`create_app` mounts every API on one Starlette app.

- :mod:`modelplex_gateway.openai_api`: ``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``,
  ``/v1/models``;
- :mod:`modelplex_gateway.anthropic_api` (when present): ``/v1/messages``, ``/v1/messages/count_tokens``;
- :mod:`modelplex_gateway.routes`: ``/providers``, ``/chat``, ``/health``, ``/ready``, ``/metrics``;
- :mod:`modelplex_gateway.keys` (when present): virtual keys. Its ``key_authenticator(client)`` returns the
  authenticator to use (``None`` with no keys configured: then :func:`~modelplex_gateway.auth.
  authenticate_local`), and its ``routes()`` the administrative routes.

``/ui`` is left for the dashboard. The application owns the client it builds (and closes it once the
server has finished every request in flight, so no stream is cut and every usage row is written); a client
passed in stays the caller's to close.
"""

from __future__ import annotations

import gc
import importlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Scope

from modelplex_gateway.auth import Authenticator, authenticate_local
from modelplex_gateway.config import GatewayConfig
from modelplex_gateway.errors import GatewayError, from_exception
from modelplex_gateway.metrics import process_metrics
from modelplex_gateway.plugin import observe as count_calls
from modelplex_gateway.timing import Overhead

if TYPE_CHECKING:
    import modelplex

#: Paths answered in Anthropic's error shape; every other path in OpenAI's.
ANTHROPIC_PREFIX = "/v1/messages"
#: Requests after which what they loaded (provider plugins, HTTP clients: imported at first use) is
#: frozen out of the garbage collector's reach too.
WARM_REQUESTS = 200
#: The collector's first threshold while the application runs (CPython's default: 700). A request's
#: objects live as long as it is in flight: at 100 in flight the young generation, which the default
#: collects every few requests, is mostly theirs, walked and moved on each time. ``bench/gateway.py`` at
#: 100 in flight (2 cores), three pairs of runs, 700 then 20,000: 1,382/1,650, 1,264/1,687 and
#: 1,345/1,512 requests a second; 722/624, 849/584 and 782/711 µs of CPU a request. The garbage it
#: holds back is a few MB at most.
YOUNG_THRESHOLD = 20_000


class _Young:
    """The collector's first threshold, raised while at least one application of this process runs and
    given back when the last one stops: two applications overlapping (a test suite, an embedding
    server) each restoring what it found would leave the raised figure behind when they stop in the
    order they started. Given back only if nobody changed it meanwhile, which is then the process's
    choice; a process that turned automatic collection off (threshold 0) keeps it off."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # applications may run in threads of their own
        self.running = 0
        self.found: tuple[int, int, int] = (0, 0, 0)
        self.set: tuple[int, int, int] | None = None

    def start(self) -> None:
        with self.lock:
            self.running += 1
            if self.running > 1:
                return
            self.found = gc.get_threshold()
            self.set = None
            if self.found[0]:
                self.set = (max(self.found[0], YOUNG_THRESHOLD), *self.found[1:])
                gc.set_threshold(*self.set)

    def stop(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running == 0 and self.set is not None and gc.get_threshold() == self.set:
                gc.set_threshold(*self.found)


_young = _Young()


def _optional(module: str) -> Any:
    """A module of this package that another part of the work may not have written yet."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # a broken import inside it must show
            raise
        return None


def error_response(request: Request, exc: BaseException) -> Response:
    """``exc`` in the shape of the API ``request`` was made to, with its retry headers."""
    error = from_exception(exc)  # anything unexpected is logged by the server, re-raised by Starlette
    route = getattr(request.scope.get("route"), "path", "other")
    request.app.state.metrics.error(route, error.code)
    shaped = error.anthropic_body() if request.url.path.startswith(ANTHROPIC_PREFIX) else error.openai_body()
    return JSONResponse(shaped, status_code=error.status, headers=error.headers)


def _routes() -> list[BaseRoute]:
    from modelplex_gateway import openai_api, routes

    out: list[BaseRoute] = [*routes.routes(), *openai_api.routes()]
    for name in ("modelplex_gateway.anthropic_api", "modelplex_gateway.keys", "modelplex_gateway.ui"):
        module = _optional(name)
        if module is not None and hasattr(module, "routes"):
            out.extend(module.routes())
    return out


def _authenticator(client: modelplex.AsyncClient) -> Authenticator:
    keys = _optional("modelplex_gateway.keys")
    made = keys.key_authenticator(client) if keys is not None and hasattr(keys, "key_authenticator") else None
    return made if made is not None else authenticate_local


class _Gateway(Starlette):
    """Starlette, with the overhead timer outside everything else: Starlette's own error middleware
    included, so that even a response to an unexpected failure carries ``x-modelplex-overhead-ms``."""

    def build_middleware_stack(self) -> ASGIApp:
        return Overhead(super().build_middleware_stack(), observe=self.state.observe)


def create_app(client: modelplex.AsyncClient | None = None, config: GatewayConfig | None = None, *,
               authenticate: Authenticator | None = None) -> Starlette:
    """The gateway as an ASGI application.

    :param client: the client every call goes through; without one, a ``modelplex.AsyncClient()`` from
        the environment and config file, closed when the application shuts down.
    :param config: how it is served (:class:`GatewayConfig`).
    :param authenticate: who may call; by default virtual keys when configured, else loopback only.
    """
    import modelplex

    owned = client is None
    the_client = modelplex.AsyncClient() if client is None else client
    metrics = process_metrics()
    count_calls(the_client, metrics)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the process: out of the collector's reach, a full
        # collection does not walk it (measured: 50-100 ms with every request in flight stalled, once
        # the heap of modules and the catalog had reached the oldest generation).
        gc.collect()
        gc.freeze()
        _young.start()
        try:
            yield
        finally:
            _young.stop()  # the process's own again, once no other application of it runs
            # The server calls this after every request in flight has ended: closing now loses no stream
            # and no usage row (each call has awaited its row's commit before its response ended).
            if owned:
                await the_client.aclose()

    handlers: dict[Any, Callable[[Request, Exception], Response]] = {
        GatewayError: error_response, modelplex.ModelplexError: error_response, Exception: error_response}
    app = _Gateway(routes=_routes(), lifespan=lifespan, exception_handlers=handlers)
    app.state.client = the_client
    app.state.config = config or GatewayConfig()
    app.state.metrics = metrics
    app.state.authenticate = authenticate or _authenticator(the_client)
    app.state.ready = True

    served = 0

    def observe(scope: Scope, status: int, overhead: float, total: float) -> None:
        nonlocal served
        route = getattr(scope.get("route"), "path", "other")
        metrics.request(route, scope.get("method", ""), status, overhead, total)
        served += 1
        if served == WARM_REQUESTS:
            gc.freeze()  # no collection first: that would be the stall this avoids

    app.state.observe = observe
    keys = _optional("modelplex_gateway.keys")
    if keys is not None and hasattr(keys, "install"):
        keys.install(app)  # settles keys' request limits when each response has ended
    return app


def from_environment() -> Starlette:
    """The application ``modelplex serve`` runs in each worker process (uvicorn's factory): a client from
    the environment and config file; ``MODELPLEX_GATEWAY_*`` carry the served settings to workers."""
    env = os.environ
    config = GatewayConfig(host=env.get("MODELPLEX_GATEWAY_HOST", "127.0.0.1"),
                           port=int(env.get("MODELPLEX_GATEWAY_PORT", "4000")),
                           workers=int(env.get("MODELPLEX_GATEWAY_WORKERS", "1")))
    return create_app(config=config)
