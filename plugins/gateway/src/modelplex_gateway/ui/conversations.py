"""The Conversations tab: the stored conversations (newest first), one opened with each message labelled
with the model that produced it, its usage and cost, and a form continuing it with any model (a switch
applies to that message and the ones after it), the reply streamed into the page.

Conversations are CV1's (``client.conversation(id)``) and are stored by the store plugin. A message is
sent by a client reading the configuration as saved (:func:`~modelplex_gateway.ui.clients.fresh`), so
a key added in the Providers tab is used at once; routing, retries, cost and the usage log apply as to
every call. The reply streams as server-sent events read by the page's script (``fetch``): ``delta``
events carry text, ``done`` the finished message rendered as the page shows it, ``error`` a reason.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.clients import fresh, serving
from modelplex_gateway.ui.forms import first, form
from modelplex_gateway.ui.render import TEMPLATES, context, page

if TYPE_CHECKING:
    import modelplex

#: Conversations listed (newest first); the store's list is read in one query per conversation.
LISTED = 500


def model_choices(request: Request, configured: modelplex.AsyncClient) -> list[dict[str, Any]]:
    """The model selector's groups: each provider's chat models, disabled (with why) where the
    provider cannot be called now."""
    from modelplex_gateway.ui.model_rows import Filters, groups

    out = []
    for group in groups(serving(request), configured, Filters(capabilities=("chat",))):
        out.append({"name": group.name, "problem": group.problem,
                    "models": [f"{group.name}/{row.info.id}" for row in group.rows]})
    return out


async def listing(request: Request) -> Response:
    """The list of conversations."""
    from modelplex._conversation_records import conversation_store

    async with fresh(request) as client:
        store = conversation_store(client)
        found = [] if store is None else await anyio.to_thread.run_sync(store.list, LISTED)
    return page(request, "conversations.html", "conversations", conversations=found,
                no_store=store is None)


def _label(message: Any) -> str:
    if message.provider and message.model:
        return f"{message.provider}/{message.model}"
    return str(message.requested or message.model or "")


def _timestamp(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.globals["conversation_label"] = _label
TEMPLATES.env.filters["timestamp"] = _timestamp


async def opened(request: Request) -> Response:
    """One conversation: its active branch, and the form continuing it."""
    from modelplex import ModelplexError

    async with fresh(request) as client:
        if request.path_params["id"] == "new":
            return page(request, "conversations_open.html", "conversations", conversation=None,
                        problem=None, choices=model_choices(request, client), selected=None)
        try:
            conversation = await anyio.to_thread.run_sync(client.conversation, request.path_params["id"])
        except ModelplexError as exc:
            return page(request, "conversations_open.html", "conversations", conversation=None,
                        problem=str(exc), choices=[], status=404)
        choices = model_choices(request, client)
    return page(request, "conversations_open.html", "conversations", conversation=conversation, problem=None,
                choices=choices, selected=conversation.model or _last_model(conversation))


def _last_model(conversation: Any) -> str | None:
    for message in reversed(conversation.messages):
        if message.role == "assistant":
            return _label(message)
    return None


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def send(request: Request) -> Response:
    """Continue the conversation (``new``: start one) with ``message``, by ``model``; streamed."""
    fields = await form(request)
    text, model = first(fields, "message"), first(fields, "model") or None
    ident = request.path_params["id"]

    async def events() -> AsyncIterator[str]:
        from modelplex import ModelplexError

        if not text:
            yield _event("error", {"message": "write a message first"})
            return
        async with fresh(request) as client:
            try:
                conversation = (client.conversation(model=model) if ident == "new" else
                                await anyio.to_thread.run_sync(client.conversation, ident))
                if model is not None and conversation.model != model:
                    # A switch for good: this message and the ones after it, until the next switch.
                    await anyio.to_thread.run_sync(setattr, conversation, "model", model)
                async with conversation.stream(text) as stream:
                    async for event in stream:
                        if event.type == "text_delta" and event.text:
                            yield _event("delta", {"text": event.text})
            except ModelplexError as exc:
                yield _event("error", {"message": str(exc)})
                return
            shown = conversation.messages[-2:]
            html = TEMPLATES.get_template("conversations_messages.html").render(
                context(request, messages=shown))
            yield _event("done", {"html": html, "conversation": conversation.id})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/conversations", listing, methods=["GET"]),
            Route("/conversations/{id}", opened, methods=["GET"]),
            Route("/conversations/{id}/send", send, methods=["POST"])]
