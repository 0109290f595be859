"""The OpenAI-compatible API: ``POST /v1/chat/completions``, ``POST /v1/responses``, ``POST /v1/embeddings``,
``GET /v1/models`` and ``GET /v1/models/{model}``, each through the client library (so routing, chains,
retries, limits, cost, budgets, policies and the usage log apply), errors in OpenAI's shape."""

from __future__ import annotations

import base64
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway import calls, openai_chat, openai_in, openai_responses
from modelplex_gateway.auth import Principal, authenticate
from modelplex_gateway.calls import call_arguments
from modelplex_gateway.errors import GatewayError, invalid
from modelplex_gateway.providers import describe, model_facts, provider_names
from modelplex_gateway.sse import EventStream
from modelplex_gateway.timing import timer_of


async def _body(request: Request) -> dict[str, Any]:
    return openai_in.load_json(await request.body())


def _counted(request: Request) -> Any:
    def on_error(error: GatewayError) -> None:
        route = getattr(request.scope.get("route"), "path", "other")
        request.app.state.metrics.error(route, error.code)

    return on_error


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``, whole or streamed."""
    principal = await authenticate(request)
    call = openai_in.chat_completions(await _body(request))
    client = request.app.state.client
    if call.stream:
        calls.call_arguments(principal, call.model)  # the scope check, before anything is opened
        return EventStream(lambda: calls.stream(client, principal, call.model, call.messages, call.options,
                                                call.tags),
                           openai_chat.ChunkEncoder(call.model, call.include_usage), _counted(request))
    response = await timer_of(request.scope).wait(
        calls.chat(client, principal, call.model, call.messages, call.options, call.tags))
    return JSONResponse(openai_chat.completion(response))


async def responses(request: Request) -> Response:
    """``POST /v1/responses``, whole or streamed."""
    principal = await authenticate(request)
    data = await _body(request)
    call = openai_in.responses(data)
    client = request.app.state.client
    if call.stream:
        calls.call_arguments(principal, call.model)
        return EventStream(lambda: calls.stream(client, principal, call.model, call.messages, call.options,
                                                call.tags),
                           openai_responses.ResponsesEncoder(call.model, data), _counted(request))
    response = await timer_of(request.scope).wait(
        calls.chat(client, principal, call.model, call.messages, call.options, call.tags))
    return JSONResponse(openai_responses.whole(response, data))


def _inputs(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
        return raw
    raise invalid("'input' must be a string or a non-empty list of strings (token arrays are not "
                  "supported)", param="input")


def _vector(values: tuple[float, ...], encoding: str) -> Any:
    if encoding == "base64":  # what the official SDKs ask for by default: little-endian float32
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
    return list(values)


async def embeddings(request: Request) -> Response:
    """``POST /v1/embeddings`` (``encoding_format`` float or base64)."""
    principal = await authenticate(request)
    data = await _body(request)
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("'model' must be a non-empty string", param="model")
    encoding = data.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise invalid("'encoding_format' must be float or base64", param="encoding_format")
    dimensions = data.get("dimensions")
    user = data.get("user")
    args = call_arguments(principal, model, {"user": user} if isinstance(user, str) and user else None)
    if args.get("agent"):
        raise invalid("an agent cannot make embeddings: name a provider/model", param="model")
    client = request.app.state.client
    result = await timer_of(request.scope).wait(client.embed(
        model, _inputs(data.get("input")), dimensions=dimensions, caller=args["caller"], tags=args["tags"]))
    return JSONResponse({
        "object": "list", "model": f"{result.provider}/{result.model}",
        "data": [{"object": "embedding", "index": i, "embedding": _vector(v, encoding)}
                 for i, v in enumerate(result.vectors)],
        "usage": {"prompt_tokens": result.usage.total_input, "total_tokens": result.usage.total}})


def _listing(request: Request, principal: Principal) -> list[dict[str, Any]]:
    """Configured providers' catalog models, chains and agents that ``principal`` may use."""
    from modelplex._agents.resolve import agents_of
    from modelplex._catalog.lookup import catalog

    client = request.app.state.client
    out: list[dict[str, Any]] = []
    table = catalog(client.registry, client.settings)
    for name in provider_names(client):
        if not describe(client, name)["configured"]:
            continue
        for info in table.models(name):
            if principal.allows(info.address):
                out.append({"id": info.address, "object": "model", "created": 0, "owned_by": name,
                            **model_facts(info)})
    for chain in sorted(client.chains()):
        if principal.allows(f"chain/{chain}"):
            out.append({"id": f"chain/{chain}", "object": "model", "created": 0, "owned_by": "modelplex",
                        "kind": "chain"})
    for agent in sorted(agents_of(client)):
        if principal.allows(f"agent/{agent}"):
            out.append({"id": f"agent/{agent}", "object": "model", "created": 0, "owned_by": "modelplex",
                        "kind": "agent"})
    return out


async def models(request: Request) -> Response:
    """``GET /v1/models``: what this caller may use, with the catalog's facts as extra fields."""
    principal = await authenticate(request)
    return JSONResponse({"object": "list", "data": _listing(request, principal)})


async def model(request: Request) -> Response:
    """``GET /v1/models/{model}`` (the id may hold slashes: ``openai/gpt-4o``)."""
    principal = await authenticate(request)
    wanted = request.path_params["model"]
    for entry in _listing(request, principal):
        if entry["id"] == wanted:
            return JSONResponse(entry)
    raise GatewayError(404, "not_found_error",
                       f"the model {wanted!r} does not exist or this key may not use it",
                       code="model_not_found", param="model")


def routes() -> list[BaseRoute]:
    """This module's routes."""
    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model:path}", model, methods=["GET"]),
    ]
