"""``POST /v2/embed``: float vectors, 96 texts to a call, in input order.

``task_type`` is Cohere's ``input_type`` (``search_document``, ``search_query``, ``classification``,
``clustering``; the retrieval names other providers use, such as Gemini's ``RETRIEVAL_QUERY``, are
translated). Cohere's v3 and later models refuse a request without one: when none is given,
``search_document`` is sent, and a warning says so. ``dimensions`` is ``output_dimension`` (embed-v4);
``truncate`` (``NONE``, ``START``, ``END``) and any other setting go through ``extra``:
``client.embed("cohere/embed-v4.0", texts, task_type="search_query", truncate="END")``.
"""

from __future__ import annotations

from typing import Any

from modelplex import EmbedRequest, EmbedResponse, ProviderContext, ProviderWarning, Usage
from modelplex.errors import InvalidRequestError, ResponseParseError
from modelplex.toolkit import Reader
from modelplex_cohere.config import headers, json_body, url
from modelplex_cohere.usage import read_usage

BATCH_SIZE = 96  # the most texts /v2/embed takes in one call
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
_ALIASES = {"retrieval_document": "search_document", "retrieval_query": "search_query",
            "document": "search_document", "query": "search_query"}
TRUNCATE = ("NONE", "START", "END")
DEFAULT_INPUT_TYPE = "search_document"


def input_type(request: EmbedRequest) -> tuple[str, list[ProviderWarning]]:
    """Cohere's ``input_type`` for ``request.task_type``; an unknown one is refused before sending."""
    if request.task_type is None:
        return DEFAULT_INPUT_TYPE, [ProviderWarning(
            code="default-setting", field="task_type",
            message=f"Cohere needs an input_type; none was given, so {DEFAULT_INPUT_TYPE!r} was sent")]
    wanted = request.task_type.lower()
    wanted = _ALIASES.get(wanted, wanted)
    if wanted not in INPUT_TYPES:
        raise InvalidRequestError(f"Cohere takes {', '.join(INPUT_TYPES)}; got {request.task_type!r}",
                                  field="task_type", provider="cohere", model=request.model)
    return wanted, []


def embed_body(request: EmbedRequest, texts: list[str], kind: str) -> dict[str, Any]:
    """One call's body; ``truncate`` is checked, the rest of ``extra`` sent as it is."""
    body: dict[str, Any] = {"model": request.model, "texts": texts, "input_type": kind,
                            "embedding_types": ["float"]}
    if request.dimensions is not None:
        body["output_dimension"] = request.dimensions
    truncate = request.extra.get("truncate")
    if truncate is not None and truncate not in TRUNCATE:
        raise InvalidRequestError(f"Cohere takes {', '.join(TRUNCATE)}; got {truncate!r}", field="truncate",
                                  provider="cohere", model=request.model)
    body.update(request.extra)
    return body


def _vectors(read: Reader, data: Any, expected: int) -> list[list[float]]:
    """The float vectors of one call's reply, in order; anything else names its JSON path."""
    items = read.array(data, "embeddings", "float")
    if len(items) != expected:
        raise ResponseParseError(f"expected {expected} embeddings, got {len(items)}", provider=read.provider,
                                 model=read.model, field="embeddings.float")
    return [[x if type(x) is float else read.number(x, at=("embeddings", "float", i, j))
             for j, x in enumerate(read.array(item, at=("embeddings", "float", i)))]
            for i, item in enumerate(items)]


async def embed(ctx: ProviderContext, request: EmbedRequest) -> EmbedResponse:
    """Every input's vector; usage is the billed input tokens of every call."""
    kind, warnings = input_type(request)
    read = Reader(provider=ctx.name, model=request.model)
    inputs = list(request.inputs)
    vectors: list[list[float]] = []
    usage = Usage()
    for start in range(0, len(inputs), BATCH_SIZE):
        batch = inputs[start:start + BATCH_SIZE]
        response = await ctx.post_json(url(ctx, "v2/embed"), embed_body(request, batch, kind), headers(ctx))
        data = read.obj(json_body(ctx, request.model, response))
        vectors += _vectors(read, data, len(batch))
        meta = read.optional_obj(data, "meta")
        usage = usage + (read_usage(read, meta, ("meta",)) if meta is not None else Usage(estimated=True))
    return EmbedResponse(provider=ctx.name, model=request.model, vectors=vectors, usage=usage,
                         warnings=warnings)
