"""The model list: ``GET /api/tags``, each model completed by ``POST /api/show`` (context length and
capabilities), whose answers are kept per digest so a model is shown once until it changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import anyio

from modelplex import Capabilities, ModelInfo, ProviderContext
from modelplex.errors import ModelplexError
from modelplex_ollama.api import OllamaAPI

CACHE = "modelplex_ollama.show"
LOG = logging.getLogger(__name__)
_CONCURRENT_SHOWS = 4


def context_length(show: Mapping[str, Any] | None, details: Mapping[str, Any]) -> int | None:
    """``<architecture>.context_length`` from the GGUF metadata, else ``details.context_length``."""
    info = show.get("model_info") if show else None
    if isinstance(info, Mapping):
        arch = info.get("general.architecture")
        value = info.get(f"{arch}.context_length") if isinstance(arch, str) else None
        if isinstance(value, int) and value > 0:
            return value
    value = details.get("context_length")
    return value if isinstance(value, int) and value > 0 else None


def capabilities(names: Any) -> Capabilities:
    """Ollama's capability words (``completion``, ``tools``, ``vision``, ``thinking``,
    ``embedding``, ...) as :class:`~modelplex.Capabilities`; none given is all unknown."""
    if not isinstance(names, list):
        return Capabilities()
    has = {str(n) for n in names}
    chat = "completion" in has
    return Capabilities(chat=chat, streaming=chat, tools="tools" in has, vision="vision" in has,
                        json_schema=chat, reasoning="thinking" in has, embeddings="embedding" in has)


def _details(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    details = entry.get("details")
    return details if isinstance(details, Mapping) else {}


def model_info(provider: str, entry: Mapping[str, Any], show: Mapping[str, Any] | None) -> ModelInfo:
    details = _details(entry)
    label = " ".join(str(details[k]) for k in ("family", "parameter_size", "quantization_level")
                     if details.get(k))
    names = (show or {}).get("capabilities", entry.get("capabilities"))
    return ModelInfo(id=str(entry.get("name") or entry.get("model")), provider=provider,
                     name=label or None, context_window=context_length(show, details),
                     capabilities=capabilities(names), local=not entry.get("remote_host"))


async def show_cached(ctx: ProviderContext, api: OllamaAPI, name: str, digest: str) -> (
        Mapping[str, Any] | None):
    """``/api/show`` for ``name``, kept by digest; ``None`` (logged) when it fails."""
    cache: dict[str, Mapping[str, Any]] = ctx.memo(CACHE, dict)
    if digest and digest in cache:
        return cache[digest]
    try:
        data = await api.json("POST", "/api/show", body={"model": name}, model=name)
    except ModelplexError as exc:
        LOG.debug("ollama: /api/show for %s failed: %s", name, exc)
        return None
    if not isinstance(data, Mapping):
        return None
    if digest:
        cache[digest] = data
    return data


async def list_models(ctx: ProviderContext) -> list[ModelInfo]:
    api = OllamaAPI.of(ctx)
    data = await api.json("GET", "/api/tags")
    entries = [m for m in (data.get("models") if isinstance(data, Mapping) else None) or []
               if isinstance(m, Mapping) and (m.get("name") or m.get("model"))]
    shows: dict[int, Mapping[str, Any] | None] = {}
    limiter = anyio.CapacityLimiter(_CONCURRENT_SHOWS)

    async def fetch(index: int, entry: Mapping[str, Any]) -> None:
        async with limiter:
            shows[index] = await show_cached(ctx, api, str(entry.get("name") or entry.get("model")),
                                             str(entry.get("digest") or ""))

    async with anyio.create_task_group() as group:
        for index, entry in enumerate(entries):
            group.start_soon(fetch, index, entry)
    return [model_info(ctx.name, entry, shows.get(i)) for i, entry in enumerate(entries)]
