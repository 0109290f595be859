"""``/embeddings``: inputs sent in batches the server takes, vectors returned in input order."""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import ResponseParseError

if TYPE_CHECKING:
    from modelplex_openai_compat.provider import CompatProvider


def _vector(value: Any) -> list[float]:
    if isinstance(value, str):  # encoding_format "base64": little-endian float32
        raw = base64.b64decode(value)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return [float(x) for x in value]


def _usage(data: Mapping[str, Any]) -> Usage:
    raw = data.get("usage")
    tokens = raw.get("prompt_tokens") if isinstance(raw, Mapping) else None
    return Usage(input=tokens) if isinstance(tokens, int) else Usage(estimated=True)


def vectors_of(provider: str, model: str, data: Any, expected: int) -> list[list[float]]:
    """The vectors of one response, ordered by each item's ``index``; one per input, or an error."""
    items = data.get("data") if isinstance(data, Mapping) else None
    if not isinstance(items, list) or len(items) != expected:
        got = len(items) if isinstance(items, list) else "no"
        raise ResponseParseError(f"expected {expected} embeddings, got {got}", provider=provider,
                                 model=model, field="data")
    ordered = sorted(enumerate(items), key=lambda p: (p[1].get("index", p[0]), p[0]))
    return [_vector(item["embedding"]) for _, item in ordered]


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
        model = str(data.get("model") or model)
    return EmbedResponse(provider=ctx.name, model=model, vectors=vectors, usage=usage,
                         warnings=warnings)
