"""Embeddings: ``POST /api/embed`` with the inputs in batches, the vectors back in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import ResponseParseError
from modelplex.toolkit import Reader
from modelplex_ollama.api import OllamaAPI
from modelplex_ollama.config import embed_batch_size, keep_alive

# Top-level fields of POST /api/embed; every other ``extra`` key is a model option.
EMBED_FIELDS = frozenset({"truncate", "keep_alive", "options", "dimensions"})


def embed_body(request: EmbedRequest, inputs: list[str], alive: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model, "input": inputs}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if alive is not None:
        body["keep_alive"] = alive
    options: dict[str, Any] = {}
    for key, value in request.extra.items():
        if key == "options" and isinstance(value, Mapping):
            options.update(value)
        elif key in EMBED_FIELDS:
            body[key] = value
        else:
            options[key] = value
    if options:
        body["options"] = options
    return body


def _vectors(data: Any, expected: int, provider: str, model: str) -> list[list[float]]:
    """The vectors of one batch's reply, in order; anything else names its JSON path."""
    read = Reader(provider=provider, model=model)
    vectors = read.array(data, "embeddings")
    if len(vectors) != expected:
        raise ResponseParseError(f"asked for {expected} embeddings, Ollama sent {len(vectors)}",
                                 provider=provider, model=model, field="embeddings")
    return [[x if type(x) is float else float(read.number(x, at=("embeddings", i, j)))
             for j, x in enumerate(read.array(v, at=("embeddings", i)))] for i, v in enumerate(vectors)]


async def embed(ctx: ProviderContext, request: EmbedRequest) -> EmbedResponse:
    api = OllamaAPI.of(ctx)
    size = embed_batch_size(ctx.settings)
    alive = keep_alive(ctx.settings)
    inputs = list(request.inputs)
    vectors: list[list[float]] = []
    tokens = 0
    for start in range(0, len(inputs), size):
        batch = inputs[start:start + size]
        data = await api.json("POST", "/api/embed", body=embed_body(request, batch, alive),
                              model=request.model)
        vectors.extend(_vectors(data, len(batch), ctx.name, request.model))
        count = data.get("prompt_eval_count")
        tokens += count if type(count) is int and count > 0 else 0  # a bool is not a count
    warnings = []
    if request.task_type is not None:
        warnings.append(ProviderWarning(code="unsupported-setting", field="task_type",
                                        message="Ollama takes no task type; it was left out"))
    return EmbedResponse(provider=ctx.name, model=request.model, vectors=vectors,
                         usage=Usage(input=tokens), warnings=warnings)
