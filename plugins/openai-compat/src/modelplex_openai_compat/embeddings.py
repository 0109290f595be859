"""``/embeddings``: inputs sent in batches the server takes, vectors returned in input order."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import InvalidRequestError, ResponseParseError
from modelplex.toolkit import Reader, is_object
from modelplex_openai_compat.vectors import ENCODINGS, FLOAT, PACKINGS

if TYPE_CHECKING:
    from modelplex_openai_compat.provider import CompatProvider


def _vector(read: Reader, item: Any, at: tuple[str | int, ...], encoding: str) -> list[float]:
    value = read.obj(item, at=at).get("embedding")
    if type(value) is str:
        packing = PACKINGS.get(encoding)
        if packing is None:
            raise read.error("a base64 string, though the request asked for float numbers; if this "
                             "server answers base64 unasked, set its profile's embedding_encoding",
                             "embedding", at=at)
        try:
            vector = packing.unpack(base64.b64decode(value, validate=True))
        except ValueError:  # binascii.Error: not base64 at all
            vector = None
        if vector is None:
            raise read.error(f"expected base64 of {packing.holds} ({encoding})", "embedding", at=at)
        return vector
    # A list of numbers says what it is, whatever was asked for: some servers ignore encoding_format.
    vector = read.array(item, "embedding", at=at)
    for i, x in enumerate(vector):
        if type(x) is not float and (type(x) is not int):
            read.number(x, at=(*at, "embedding", i))  # raises, naming the number
    return [float(x) for x in vector]


def _usage(data: Mapping[str, Any]) -> Usage:
    raw = data.get("usage")
    tokens = raw.get("prompt_tokens") if is_object(raw) else None
    return Usage(input=tokens) if type(tokens) is int else Usage(estimated=True)


def vectors_of(provider: str, model: str, data: Any, expected: int,
               encoding: str = FLOAT) -> list[list[float]]:
    """The vectors of one response, ordered by each item's ``index``; one per input, or a
    :class:`~modelplex.errors.ResponseParseError` naming what is wrong (``data[2].embedding``).

    ``encoding`` is the ``encoding_format`` in effect (:data:`~modelplex_openai_compat.vectors.ENCODINGS`):
    base64 strings are unpacked as it says, and refused where it is ``"float"``."""
    read = Reader(provider=provider, model=model)
    items = read.array(data, "data")
    if len(items) != expected:
        raise ResponseParseError(f"expected {expected} embeddings, got {len(items)}", provider=provider,
                                 model=model, field="data")
    vectors = [_vector(read, item, ("data", i), encoding) for i, item in enumerate(items)]
    order = [read.optional_integer(item, "index", at=("data", i)) for i, item in enumerate(items)]
    ranked = sorted(range(len(items)), key=lambda i: (order[i] if order[i] is not None else i, i))
    return [vectors[i] for i in ranked]


def encoding_in_effect(provider: str, request: EmbedRequest, default: str) -> str:
    """The ``encoding_format`` the server will answer in: the one ``request.extra`` sends, else the
    server's ``default`` (the profile's). One this library cannot read is refused before sending."""
    asked = request.extra.get("encoding_format", default)
    if asked not in ENCODINGS:
        raise InvalidRequestError(f"{provider}'s embeddings cannot be read in encoding_format "
                                  f"{asked!r}; this library reads {', '.join(sorted(ENCODINGS))}",
                                  field="extra.encoding_format", provider=provider, model=request.model)
    return str(asked)


async def embed(provider: CompatProvider, ctx: ProviderContext,
                request: EmbedRequest) -> EmbedResponse:
    """Embed ``request.inputs`` in batches of ``profile.embedding_batch_size``.

    A single input travels as a string, several as a list; ``dimensions`` is sent when given.
    """
    profile = provider.profile_for(ctx)
    encoding = encoding_in_effect(ctx.name, request, profile.embedding_encoding)
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
        vectors += vectors_of(ctx.name, request.model, data, len(batch), encoding)
        usage = usage + _usage(data)
        model = Reader(provider=ctx.name, model=request.model).optional_string(data, "model") or model
    return EmbedResponse(provider=ctx.name, model=model, vectors=vectors, usage=usage,
                         warnings=warnings)
