"""Reranking: documents ordered by their relevance to a query (``client.rerank``), and the one call path
it takes (resolve, validate, admit, attempt, report), as an embedding does.

A provider implements :func:`modelplex.hookspecs.modelplex_rerank`. Rerank endpoints bill per *search*
(Cohere: a query with up to 100 documents, longer documents counted as several) rather than per token:
:attr:`RerankResponse.search_units` keeps the provider's count, and ``usage`` holds the tokens only
where the provider counts them. The catalog prices tokens, so a rerank's cost is unknown (never zero)
unless its tokens are counted and priced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._catalog.cost import Cost
from modelplex._checks import as_items
from modelplex._json import JSON
from modelplex._responses import ProviderWarning, Usage
from modelplex._trace import RoutingTrace
from modelplex._tuples import as_tuple
from modelplex.errors import InvalidRequestError

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallInfo
    from modelplex._client import AsyncClient

HOOK = "modelplex_rerank"


def _documents(value: Any) -> tuple[str, ...]:
    # One string is one document, not a sequence of one-character documents.
    return (value,) if isinstance(value, str) else as_items("documents", value, "a str or a sequence of str")


@attrs.frozen(kw_only=True)
class RerankRequest:
    """``documents`` to order by relevance to ``query``; ``top_n`` keeps the best ``n`` (``None``: all).
    ``extra`` goes to the provider as it is (Cohere's ``max_tokens_per_doc``)."""

    model: str
    query: str
    documents: tuple[str, ...] = attrs.field(converter=_documents)
    top_n: int | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class RerankResult:
    """One document's place: ``index`` into the request's documents, its ``relevance_score`` (higher is
    more relevant; the scale is the provider's), and the ``document`` itself."""

    index: int
    relevance_score: float
    document: str


def _results(items: Iterable[RerankResult]) -> tuple[RerankResult, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class RerankResponse:
    """The results, most relevant first. ``search_units`` is what the provider billed (``None``: it did
    not say); ``usage`` the tokens it counted, if any. ``trace`` and ``cost`` are set by the client."""

    provider: str
    model: str
    results: tuple[RerankResult, ...] = attrs.field(converter=_results)
    usage: Usage = attrs.field(factory=Usage)
    search_units: int | None = None
    id: str | None = None
    warnings: tuple[ProviderWarning, ...] = attrs.field(default=(), converter=as_tuple)
    trace: RoutingTrace | None = attrs.field(default=None, eq=False)
    cost: Cost | None = attrs.field(default=None, eq=False)


def check_rerank(request: RerankRequest) -> None:
    """Refuse, before anything is sent, a request no provider could answer."""
    if not isinstance(request.query, str) or not request.query.strip():
        raise InvalidRequestError("must be a non-empty string", field="query", model=request.model)
    if not request.documents:
        raise InvalidRequestError("give at least one document", field="documents", model=request.model)
    for i, document in enumerate(request.documents):
        if not isinstance(document, str):
            raise InvalidRequestError(f"must be a str, not {type(document).__name__}",
                                      field=f"documents[{i}]", model=request.model)
    top_n = request.top_n
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise InvalidRequestError(f"must be an int >= 1, got {top_n!r}", field="top_n", model=request.model)


def rerank(client: AsyncClient, address: Any, query: str, documents: str | Sequence[str],
           top_n: int | None, extra: Mapping[str, Any], tags: Mapping[str, str] | None,
           caller: str | None) -> Awaitable[RerankResponse]:
    """The call, resolved and validated (errors raised here, before anything is sent), as an awaitable.

    A ``provider/model`` address with nothing to route takes the direct branch: one attempt within the
    call timeout. One with retries or limits configured, or a chain, takes the routed one, as an
    embedding does: a chain's candidates whose provider cannot rerank are skipped, each with its reason
    in the trace (the built-in chains hold chat models: a chain for reranking is one you define).
    Either way the call is admitted by ``modelplex_before_attempt`` and reported to the lifecycle as an
    embedding is: the same input, nothing out, so the per-attempt estimate (tokens in, the cost a
    budget reserves) is worked out the same way.
    """
    from modelplex._aliases import expand
    from modelplex._call.observe import Watch, call_info
    from modelplex._routing.address import split_model
    from modelplex._validate import check_address

    if address.__class__ is str and "/" not in address:  # an alias, or a provider's default model
        address = expand(client, address)
    address = check_address(address)
    _, model = split_model(address)
    request = RerankRequest(model=model, query=query, documents=documents, top_n=top_n, extra=extra)
    check_rerank(request)
    calls = client._calls  # made first: a configured governance policy installs itself there
    router = client.router
    route = router.route(address)
    lifecycle = client.registry.lifecycle
    payload = (request.query, *request.documents)
    make: Callable[[CallInfo], Awaitable[RerankResponse]]
    if route is not None:
        if not lifecycle.active:
            return router.rerank(route, request)
        from modelplex._call.admission import admission

        make = lambda call: router.rerank(route, request,  # noqa: E731
                                          admission(client, call, "embed", payload, None))
        return calls._observed(Watch(lifecycle, client, call_info("rerank", address, request, tags, caller)),
                               make)
    direct = router.direct(address)
    if not lifecycle.active:
        result: Awaitable[RerankResponse] = direct.call(HOOK, request=request)
        return result
    info = call_info("rerank", address, request, tags, caller)
    if not lifecycle.attempt:
        observed: Awaitable[RerankResponse] = direct.call(HOOK, (), lifecycle, info, request=request)
        return observed
    from modelplex._call.admission import Admission

    make = lambda call: Admission(client, lifecycle, call, "embed", payload, None).direct(  # noqa: E731
        direct, HOOK, request=request)
    return calls._observed(Watch(lifecycle, client, info), make)
