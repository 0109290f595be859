"""``:batchEmbedContents``: one request per input, 100 to a call, vectors in input order."""

from __future__ import annotations

from typing import Any

from modelplex import EmbedRequest, EmbedResponse, Message, ProviderContext
from modelplex.errors import ResponseParseError
from modelplex.toolkit import Reader, estimate
from modelplex_gemini.provider import headers, json_body, method_url, model_path
from modelplex_gemini.request import merged

BATCH_SIZE = 100  # the most requests batchEmbedContents takes in one call


def embed_request(request: EmbedRequest, text: str) -> dict[str, Any]:
    """One ``EmbedContentRequest``: ``task_type`` as ``taskType`` (``retrieval_query`` ->
    ``RETRIEVAL_QUERY``), ``dimensions`` as ``outputDimensionality``, ``extra`` merged in."""
    item: dict[str, Any] = {"model": model_path(request.model), "content": {"parts": [{"text": text}]}}
    if request.task_type is not None:
        item["taskType"] = request.task_type.upper()
    if request.dimensions is not None:
        item["outputDimensionality"] = request.dimensions
    return merged(item, request.extra)


def _vectors(ctx: ProviderContext, model: str, data: Any, expected: int) -> list[list[float]]:
    """The vectors of one batch's reply, in order; anything else names its JSON path."""
    read = Reader(provider=ctx.name, model=model)
    items = read.array(data, "embeddings")
    if len(items) != expected:
        raise ResponseParseError(f"expected {expected} embeddings, got {len(items)}", provider=ctx.name,
                                 model=model, field="embeddings")
    vectors = []
    for i, item in enumerate(items):
        values = read.array(item, "values", at=("embeddings", i))
        vectors.append([x if type(x) is float else float(read.number(x, at=("embeddings", i, "values", j)))
                        for j, x in enumerate(values)])
    return vectors


async def embed(ctx: ProviderContext, request: EmbedRequest) -> EmbedResponse:
    """Gemini reports no token counts for embeddings: usage is estimated (and marked so)."""
    url = method_url(ctx, request.model, "batchEmbedContents")
    inputs = list(request.inputs)
    vectors: list[list[float]] = []
    for start in range(0, len(inputs), BATCH_SIZE):
        batch = inputs[start:start + BATCH_SIZE]
        body = {"requests": [embed_request(request, text) for text in batch]}
        response = await ctx.post_json(url, body, headers(ctx))
        vectors += _vectors(ctx, request.model, json_body(ctx, request.model, response), len(batch))
    usage = estimate([Message.user(text) for text in inputs if text], 0)
    return EmbedResponse(provider=ctx.name, model=request.model, vectors=vectors, usage=usage)
