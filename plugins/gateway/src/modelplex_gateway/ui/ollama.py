"""The Local models tab (Ollama): the installed models with size, family, quantisation, when pulled, and
last use (the usage log's newest call to each); the ones loaded now; the library searched (the ollama
plugin's shipped catalog, with download sizes); a pull streamed to the page with its progress, an update
(a pull of an installed model, saying whether its digest changed), a removal; and the free disk space.

The server is the one ``modelplex chat`` and ``modelplex ollama`` use (``[providers.ollama] base_url``,
``OLLAMA_HOST``, else localhost:11434), read from the configuration as saved. Disk space: for an Ollama
on this machine (a loopback address) the free space of its models directory (``OLLAMA_MODELS``, else
``~/.ollama/models``) is shown and a warning given below :data:`LOW_DISK` or when a model of known size
would not fit; a remote Ollama's disk cannot be seen from here, the page says so, and a pull that fills
it ends with Ollama's own error, shown in the page.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from modelplex_gateway.ui.clients import fresh
from modelplex_gateway.ui.forms import first, form
from modelplex_gateway.ui.render import TEMPLATES, fragment, page

#: Free space below which the tab warns (bytes): a small model's download.
LOW_DISK = 10 * 10**9
#: Library results shown for a search.
RESULTS = 40


@attrs.frozen(kw_only=True, slots=True)
class Disk:
    """Where Ollama keeps its models and the room left there (``None`` for a remote Ollama)."""

    local: bool
    path: str = ""
    #: Where Ollama keeps its models; ``path`` is its nearest existing directory when it is not made yet.
    models_dir: str = ""
    free: int | None = None
    total: int | None = None

    @property
    def low(self) -> bool:
        """Whether the free space is below :data:`LOW_DISK`."""
        return self.free is not None and self.free < LOW_DISK


def disk(base_url: str) -> Disk:
    """The disk of the Ollama at ``base_url``, when it is this machine's."""
    from modelplex_ollama.disk import checked_dir

    from modelplex.toolkit import is_loopback

    if not is_loopback(base_url):
        return Disk(local=False)
    where = checked_dir(os.environ)
    usage = shutil.disk_usage(where)
    return Disk(local=True, path=str(where), free=usage.free, total=usage.total)


def _last_uses(provider: str, names: list[str]) -> dict[str, Any]:
    """Each model's newest call in the usage log (``None``: never called, or no store)."""
    import modelplex_store
    from modelplex_store.db import StoreUnavailable

    out: dict[str, Any] = {}
    try:
        with modelplex_store.open() as store:
            for name in names:
                bare = name.removesuffix(":latest")
                found = store.logs(1, provider=provider, model=f"{provider}/{name}")
                if not found and bare != name:
                    found = store.logs(1, provider=provider, model=f"{provider}/{bare}")
                out[name] = found[0].started_at if found else None
    except StoreUnavailable:
        pass
    return out


def _human(n: float | None) -> str:
    from modelplex_ollama.display import human_bytes

    return human_bytes(n)


TEMPLATES.env.filters["bytes"] = _human


async def tab(request: Request) -> Response:
    """The whole tab."""
    return page(request, "ollama.html", "ollama", **await _installed(request), query="", results=None)


async def _installed(request: Request) -> dict[str, Any]:
    from modelplex_ollama.manage import OllamaManager

    from modelplex import ModelplexError

    async with fresh(request) as client:
        manager = OllamaManager.from_client(client)
        found: dict[str, Any] = {"base_url": manager.base_url, "models": [], "loaded": set(), "problem": None,
                                 "last_used": {}, "disk": disk(manager.base_url)}
        try:
            found["models"] = await manager.list()
            found["loaded"] = {m.name for m in await manager.ps()}
        except ModelplexError as exc:
            found["problem"] = str(exc)
    found["last_used"] = await anyio.to_thread.run_sync(_last_uses, "ollama",
                                                        [m.name for m in found["models"]])
    return found


async def installed(request: Request) -> Response:
    """The installed models' table alone (after a pull or a removal)."""
    return fragment(request, "ollama_installed.html", **await _installed(request))


async def search(request: Request) -> Response:
    """The library's models matching ``q`` (all of them for an empty query), with sizes and a warning
    for those that would not fit."""
    from modelplex_ollama.catalog import catalog
    from modelplex_ollama.catalog import search as find

    query = request.query_params.get("q", "").strip()
    results = (find(query) if query else list(catalog()))[:RESULTS]
    async with fresh(request) as client:
        from modelplex_ollama.manage import OllamaManager

        base = OllamaManager.from_client(client).base_url
    room = disk(base)
    fits = {m.name: room.free is None or (m.size() or 0) <= room.free for m in results}
    return fragment(request, "ollama_results.html", results=results, query=query, fits=fits, disk=room)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def pull(request: Request) -> Response:
    """Pull ``model`` (a new one, or an installed one again: an update), its progress streamed as
    server-sent events: ``progress`` (status, completed and total bytes of the layer), then ``done``
    (whether the digest changed) or ``error``."""
    from modelplex_ollama.disk import space_warning
    from modelplex_ollama.manage import OllamaManager

    from modelplex import ModelplexError

    model = first(await form(request), "model")

    async def events() -> AsyncIterator[str]:
        if not model:
            yield _event("error", {"message": "name a model to pull"})
            return
        async with fresh(request) as client:
            manager = OllamaManager.from_client(client)
            warning = space_warning(model, manager.base_url, os.environ)
            if warning:
                yield _event("warning", {"message": warning})
            try:
                before = {m.name: m.digest for m in await manager.list()}
                async for step in manager.pull(model):
                    yield _event("progress", {"status": step.status, "completed": step.completed,
                                              "total": step.total})
                after = {m.name: m.digest for m in await manager.list()}
            except ModelplexError as exc:
                yield _event("error", {"message": str(exc)})
                return
        key = model if model in after else f"{model}:latest"
        old, new = before.get(key), after.get(key)
        yield _event("done", {"model": model, "installed": old is None,
                              "changed": old is not None and old != new})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


async def remove(request: Request) -> Response:
    """Remove ``model``, then the installed models as they are."""
    from modelplex_ollama.manage import OllamaManager

    from modelplex import ModelplexError

    model = first(await form(request), "model")
    problem = None
    async with fresh(request) as client:
        try:
            await OllamaManager.from_client(client).delete(model)
        except ModelplexError as exc:
            problem = str(exc)
    return fragment(request, "ollama_installed.html", **await _installed(request),
                    notice=None if problem else f"{model} removed", action_problem=problem)


def routes() -> list[BaseRoute]:
    """The tab's routes, under ``/ui``."""
    return [Route("/ollama", tab, methods=["GET"]), Route("/ollama/installed", installed, methods=["GET"]),
            Route("/ollama/search", search, methods=["GET"]), Route("/ollama/pull", pull, methods=["POST"]),
            Route("/ollama/remove", remove, methods=["POST"])]
