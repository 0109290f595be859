"""``POST /chat``: the product brief's own chat route, for callers that want neither SDK.

The body: ``message`` (required), ``provider`` and ``model`` (either, both or neither: ``provider`` alone
uses its default model, ``model`` alone is any address the client takes, ``provider/model``,
``chain/NAME``, an alias or ``agent/NAME``; neither uses the configured default), ``temperature``,
``max_tokens``, ``system``, ``stream``; and ``conversation_id`` to continue a stored conversation, or
``conversation: true`` to start one (both need the store, ``modelplex-store``). Switching the model of a
conversation is naming another one: it applies to this message and the ones after it that name it.

The reply: ``{"text", "provider", "model", "finish_reason", "usage", "cost", "conversation_id"}``; cost
is a decimal string (``null`` where a price is unknown). Streamed, it is server-sent events: ``delta``
events (``{"text": ...}``), then one ``done`` event with the whole reply, or an ``error`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from modelplex_gateway.auth import Principal, authenticate
from modelplex_gateway.calls import call_arguments
from modelplex_gateway.errors import GatewayError, invalid
from modelplex_gateway.openai_in import load_json
from modelplex_gateway.sse import EventStream, error_json, sse
from modelplex_gateway.timing import timer_of

if TYPE_CHECKING:
    from modelplex import ChatResponse, StreamEvent


def _address(data: Mapping[str, Any]) -> str | None:
    provider, model = data.get("provider"), data.get("model")
    for key, value in (("provider", provider), ("model", model)):
        if value is not None and (not isinstance(value, str) or not value):
            raise invalid(f"'{key}' must be a non-empty string", param=key)
    if provider and model:
        return f"{provider}/{model}"
    return model or provider


def _options(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("temperature", "max_tokens") if data.get(k) is not None}


def reply(response: ChatResponse, conversation_id: str | None) -> dict[str, Any]:
    """The route's JSON reply for ``response``."""
    total = response.cost.total if response.cost is not None else None
    u = response.usage
    return {"text": response.text, "provider": response.provider, "model": response.model,
            "finish_reason": str(response.finish_reason),
            "usage": {"input_tokens": u.total_input, "output_tokens": u.total_output,
                      "total_tokens": u.total},
            "cost": None if total is None else str(total), "conversation_id": conversation_id}


def _call(principal: Principal, address: str | None) -> dict[str, Any]:
    if address is None:  # the configured default model: no scope names it, so only an unscoped caller
        if principal.scopes is not None:
            raise invalid("name a provider or model this key may use", param="model")
        return {"model": None, "caller": principal.caller, "tags": principal.call_tags()}
    return call_arguments(principal, address)


class ChatEncoder:
    """``/chat``'s own stream grammar (see the module's docstring)."""

    def __init__(self, conversation_id: str | None) -> None:
        self.conversation_id = conversation_id

    def start(self) -> Iterable[bytes]:
        """Nothing before the first delta."""
        return ()

    def event(self, event: StreamEvent) -> Iterable[bytes]:
        """Text deltas."""
        text = getattr(event, "text", None)
        if event.type == "text_delta" and text:
            yield sse(json.dumps({"text": text}), "delta")

    def end(self, stream: Any) -> Iterable[bytes]:
        """The whole reply."""
        yield sse(json.dumps(reply(stream.response, self.conversation_id)), "done")

    def failed(self, error: GatewayError) -> Iterable[bytes]:
        """An error event in OpenAI's error shape."""
        yield sse(json.dumps(error.openai_body()), "error")

    def refused(self, error: GatewayError) -> Response:
        """The HTTP error."""
        return error_json(error, error.openai_body())


async def chat(request: Request) -> Response:
    """``POST /chat``."""
    principal = await authenticate(request)
    data = load_json(await request.body())
    message = data.get("message")
    if not isinstance(message, str) or not message:
        raise invalid("'message' must be a non-empty string", param="message")
    args = _call(principal, _address(data))
    model = args.pop("model")
    options = _options(data)
    if isinstance(data.get("system"), str):
        options["system"] = data["system"]
    client = request.app.state.client
    conversation_id = data.get("conversation_id")
    if conversation_id is not None or data.get("conversation") is True:
        if conversation_id is not None and not isinstance(conversation_id, str):
            raise invalid("'conversation_id' must be a string", param="conversation_id")
        conversation = client.conversation(conversation_id) if conversation_id else client.conversation()
        if data.get("stream") is True:
            return EventStream(lambda: conversation.stream(message, model=model, **args, **options),
                               ChatEncoder(conversation.id))
        response = await timer_of(request.scope).wait(conversation.send(message, model=model, **args,
                                                                         **options))
        return JSONResponse(reply(response, conversation.id))
    if data.get("stream") is True:
        return EventStream(lambda: client.stream(model, message, **args, **options), ChatEncoder(None))
    response = await timer_of(request.scope).wait(client.chat(model, message, **args, **options))
    return JSONResponse(reply(response, None))
