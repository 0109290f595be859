"""The routes the product brief names: ``GET /providers``, ``GET /providers/{provider}/models``,
``POST /chat``, and the operator's ``GET /health`` (liveness: answers without calling anything, so it
never bills), ``GET /ready`` and ``GET /metrics``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway.auth import authenticate
from modelplex_gateway.errors import GatewayError
from modelplex_gateway.providers import describe, model_facts, provider_names
from modelplex_gateway.timing import timer_of


async def health(request: Request) -> Response:
    """Liveness: the process serves requests. Calls no provider, reads no key, needs no key."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    """Readiness: the client library loads its configuration and plugins (no provider is called); 503
    with the reason otherwise, or when the application marks itself not ready (``app.state.ready``)."""
    from modelplex import ModelplexError

    if not request.app.state.ready:
        return JSONResponse({"status": "shutting down"}, status_code=503)
    client = request.app.state.client
    try:
        names = list(client.registry.names)
        client.settings  # noqa: B018 - reads and checks the config file's provider tables
    except ModelplexError as exc:
        return JSONResponse({"status": "not ready", "reason": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready", "providers": len(names)})


async def metrics(request: Request) -> Response:
    """The Prometheus exposition text of this worker process."""
    await authenticate(request)
    return PlainTextResponse(request.app.state.metrics.render(),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


async def providers(request: Request) -> Response:
    """Every provider: name, plugin, enabled, configured, default model, the catalog's models."""
    await authenticate(request)
    client = request.app.state.client
    return JSONResponse({"providers": [describe(client, n) for n in provider_names(client)]})


async def provider_models(request: Request) -> Response:
    """``provider``'s models as it lists them now, merged with the catalog's facts."""
    await authenticate(request)
    client = request.app.state.client
    name = request.path_params["provider"]
    if name not in provider_names(client):
        raise GatewayError(404, "not_found_error", f"no provider {name!r} is installed or configured",
                           code="provider_not_found", param="provider")
    models = await timer_of(request.scope).wait(client.list_models(name))
    return JSONResponse({"provider": name, "models": [{"id": m.id, "address": m.address, **model_facts(m)}
                                                      for m in models]})


def routes() -> list[BaseRoute]:
    """This module's routes."""
    from modelplex_gateway.simple_chat import chat

    return [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/providers", providers, methods=["GET"]),
        Route("/providers/{provider}/models", provider_models, methods=["GET"]),
        Route("/chat", chat, methods=["POST"]),
    ]
