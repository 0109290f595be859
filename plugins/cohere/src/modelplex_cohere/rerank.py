"""``POST /v2/rerank``: documents ordered by relevance to a query, billed per search unit.

The body is ``{"model", "query", "documents": [str], "top_n"?}`` (``max_tokens_per_doc`` and other
settings through ``extra``); the reply ``{"id", "results": [{"index", "relevance_score"}],
"meta": {"billed_units": {"search_units"}}}``, most relevant first. Cohere counts no tokens for a
rerank: the usage carries none, so its cost stays unknown (the catalog prices tokens, not searches),
and the search units billed are kept on the response.
"""

from __future__ import annotations

from typing import Any

from modelplex import ProviderContext, RerankRequest, RerankResponse, RerankResult, Usage
from modelplex.toolkit import Reader
from modelplex_cohere.config import headers, json_body, url


def rerank_body(request: RerankRequest) -> dict[str, Any]:
    """The body to send."""
    body: dict[str, Any] = {"model": request.model, "query": request.query,
                            "documents": list(request.documents)}
    if request.top_n is not None:
        body["top_n"] = request.top_n
    body.update(request.extra)
    return body


async def rerank(ctx: ProviderContext, request: RerankRequest) -> RerankResponse:
    """The results, as Cohere ordered them; an index outside the documents names its path."""
    response = await ctx.post_json(url(ctx, "v2/rerank"), rerank_body(request), headers(ctx))
    read = Reader(provider=ctx.name, model=request.model)
    data = read.obj(json_body(ctx, request.model, response))
    results = []
    for i, item in enumerate(read.array(data, "results")):
        index = read.integer(item, "index", at=("results", i))
        if not 0 <= index < len(request.documents):
            raise read.error(f"index {index} is outside the {len(request.documents)} documents sent",
                             "results", i, "index")
        results.append(RerankResult(index=index, document=request.documents[index],
                                    relevance_score=read.number(item, "relevance_score", at=("results", i))))
    units = read.optional_number(data, "meta", "billed_units", "search_units")
    return RerankResponse(provider=ctx.name, model=request.model, id=read.optional_string(data, "id"),
                          results=results, search_units=int(units) if units is not None else None,
                          usage=Usage(estimated=True))
