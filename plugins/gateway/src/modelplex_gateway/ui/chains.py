"""The Chains & routing tab: the built-in and configured chains, agents and task rules; a configured
chain reordered and edited (saved in the config file, so it is there after a reload); a built-in chain
copied into the file to edit it; and for a sample request, each candidate with why it would be used or
skipped (:mod:`modelplex_gateway.ui.chain_explain`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.clients import fresh, serving
from modelplex_gateway.ui.forms import first, form
from modelplex_gateway.ui.render import fragment, page

if TYPE_CHECKING:
    import modelplex


def _chains(client: modelplex.AsyncClient) -> list[dict[str, Any]]:
    configured = client.routing.chains
    ordered = sorted(client.chains().items(), key=lambda kv: (kv[0] not in configured, kv[0]))
    return [{"name": name, "builtin": name not in configured, "entries": chain.entries,
             "retries": chain.retries} for name, chain in ordered]


async def tab(request: Request) -> Response:
    """The whole tab."""
    from modelplex._agents.resolve import agents_of, tasks_of

    async with fresh(request) as client:
        return page(request, "chains.html", "chains", chains=_chains(client),
                    agents=sorted(agents_of(client).values(), key=lambda a: a.name),
                    tasks=sorted(tasks_of(client).items()), sample=None, explanation=None)


async def _chain_card(request: Request, name: str, **values: Any) -> Response:
    async with fresh(request) as client:
        found = [c for c in _chains(client) if c["name"] == name]
    if not found:
        from modelplex_gateway.errors import GatewayError

        raise GatewayError(404, "not_found_error", f"no chain {name!r}", code="unknown_chain")
    return fragment(request, "chain_card.html", c=found[0], **values)


def _index(fields: dict[str, list[str]]) -> int:
    text = first(fields, "index")
    if not text.isdigit():
        raise ValueError(f"{text!r} is not an entry's position")
    return int(text)


async def edit(request: Request) -> Response:
    """One edit of a chain (``action``: up, down, remove, add, copy), then the chain as saved."""
    import anyio

    from modelplex import ModelplexError
    from modelplex._config_write import config_path
    from modelplex_gateway.ui import chain_edits

    name = request.path_params["name"]
    action = request.path_params["action"]
    fields = await form(request)
    async with fresh(request) as client:
        path = config_path(client.settings.env)
        try:
            if action in ("up", "down"):
                index = _index(fields)
                step = -1 if action == "up" else 1
                await anyio.to_thread.run_sync(chain_edits.move, path, name, index, step)
            elif action == "remove":
                index = _index(fields)
                await anyio.to_thread.run_sync(chain_edits.remove, path, name, index)
            elif action == "add":
                from modelplex_gateway.ui.models import _checked

                address = first(fields, "model")
                problem = _checked(client, address) if address else "give a model's address"
                if problem is not None:
                    return await _chain_card(request, name, problem=problem)
                await anyio.to_thread.run_sync(chain_edits.add, path, name, address)
            elif action == "copy":
                chain = client.chains().get(name)
                if chain is None or not chain.entries:
                    raise ValueError(f"chain {name!r} has no models to copy")
                await anyio.to_thread.run_sync(chain_edits.copy, path, name, [e.model for e in chain.entries])
            else:
                raise ValueError(f"unknown action {action!r}")
        except (ModelplexError, ValueError) as exc:
            return await _chain_card(request, name, problem=str(exc))
    return await _chain_card(request, name, notice="saved in the config file")


async def explain(request: Request) -> Response:
    """The sample request's candidates, each with why it would be used or skipped."""
    from modelplex_gateway.ui.chain_explain import Sample
    from modelplex_gateway.ui.chain_explain import explain as run

    query = request.query_params
    tags = {}
    for line in query.get("tags", "").replace(",", "\n").splitlines():
        key, _, value = line.partition("=")  # NAME or NAME=VALUE, as 'policy explain --tag' takes them
        if key.strip():
            tags[key.strip()] = value.strip()
    sample = Sample(address=query.get("address", "").strip() or "chain/fast",
                    prompt=query.get("prompt", "") or "Hello",
                    tokens=int(size) if (size := query.get("tokens", "").strip()).isdigit() else None,
                    tools=query.get("tools") == "on", json_schema=query.get("json_schema") == "on",
                    tags=tags, caller=query.get("caller", "").strip() or None)
    async with fresh(request) as client:
        explanation = await run(client, serving(request), sample)
    return fragment(request, "chain_explain.html", explanation=explanation, sample=sample)


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/chains", tab, methods=["GET"]), Route("/chains/explain", explain, methods=["GET"]),
            Route("/chains/{name}/{action}", edit, methods=["POST"])]
