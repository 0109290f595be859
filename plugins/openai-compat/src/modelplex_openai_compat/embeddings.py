"""``/embeddings``: inputs sent in batches the server takes, vectors returned in input order."""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import ResponseParseError
from modelplex.toolkit import Reader, is_object

if TYPE_CHECKING:
    from modelplex_openai_compat.provider import CompatProvider


def _vector(read: Reader, item: Any, at: tuple[str | int, ...]) -> list[float]:
    value = read.obj(item, at=at).get("embedding")
    if type(value) is str:  # encoding_format "base64": little-endian float32
        try:
            raw = base64.b64decode(value)
        except ValueError:
            raw = b"?"  # not base64 at all: refused below with the rest
        if len(raw) % 4:
            raise read.error("expected base64 of float32 values", "embedding", at=at)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    vector = read.array(item, "embedding", at=at)
    for i, x in enumerate(vector):
        if type(x) is not float and (type(x) is not int):
            read.number(x, at=(*at, "embedding", i))  # raises, naming the number
    return [float(x) for x in vector]


def _usage(data: Mapping[str, Any]) -> Usage:
    raw = data.get("usage")
    tokens = raw.get("prompt_tokens") if is_object(raw) else None
    return Usage(input=tokens) if type(tokens) is int else Usage(estimated=True)


def vectors_of(provider: str, model: str, data: Any, expected: int) -> list[list[float]]:
    """The vectors of one response, ordered by each item's ``index``; one per input, or a
    :class:`~modelplex.errors.ResponseParseError` naming what is wrong (``data[2].embedding``)."""
    read = Reader(provider=provider, model=model)
    items = read.array(data, "data")
    if len(items) != expected:
        raise ResponseParseError(f"expected {expected} embeddings, got {len(items)}", provider=provider,
                                 model=model, field="data")
    vectors = [_vector(read, item, ("data", i)) for i, item in enumerate(items)]
    order = [read.optional_integer(item, "index", at=("data", i)) for i, item in enumerate(items)]
    ranked = sorted(range(len(items)), key=lambda i: (order[i] if order[i] is not None else i, i))
    return [vectors[i] for i in ranked]


async def embed(provider: CompatProvider, ctx: ProviderContext,
                request: EmbedRequest) -> EmbedResponse:
    """Embed ``request.inputs`` in batches of ``profile.embedding_batch_size``.

    A single input travels as a string, several as a list; ``dimensions`` is sent when given.
    """
    profile = provider.profile_for(ctx)
    warnings: list[ProviderWarning] = []
    if request.task_type is not None:
        warnings.append(ProviderWarning(code="unsupported-setting", field="task_type",
                                        message="this server takes no task type; it was not sent"))
    inputs = list(request.inputs)
    vectors: list[list[float]] = []
    usage = Usage()
    model = request.model
    size = profile.embedding_batch_size
    url = provider.config_for(ctx).url(ctx, "embeddings", request.model)
    for start in range(0, len(inputs), size):
        batch = inputs[start:start + size]
        body: dict[str, Any] = {"model": request.model,
                                "input": batch[0] if len(inputs) == 1 else batch}
        if request.dimensions is not None:
            body["dimensions"] = request.dimensions
        body.update(request.extra)
        response = await ctx.post_json(url, body, provider.headers(ctx))
        data = provider.json_body(ctx, request.model, response)
        vectors += vectors_of(ctx.name, request.model, data, len(batch))
        usage = usage + _usage(data)
        model = Reader(provider=ctx.name, model=request.model).optional_string(data, "model") or model
    return EmbedResponse(provider=ctx.name, model=model, vectors=vectors, usage=usage,
                         warnings=warnings)
