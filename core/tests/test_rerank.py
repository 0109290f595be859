"""``client.rerank``: a ``modelplex_rerank`` hook any provider may implement, reached through the one
call path (validated before anything is sent, admitted, reported to the lifecycle, traced and priced),
on the asynchronous and the synchronous client. Cohere's implementation, over the wire, is tested in
plugins/cohere."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

import modelplex
from modelplex import (
    AsyncClient,
    AttemptInfo,
    CallInfo,
    CallOutcome,
    Client,
    ProviderInfo,
    RerankRequest,
    RerankResponse,
    RerankResult,
    Usage,
)
from modelplex.errors import (
    InvalidRequestError,
    LocalRateLimitError,
    PolicyDenied,
    RequestBuildError,
    RoutingError,
    ServerError,
    UnsupportedFeatureError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl

NO_RERANK = "the provider does not support reranking"
DOCS = ["Paris is the capital of France.", "Berlin is in Germany.", "The Seine flows through Paris."]


class Ranker:
    """A provider whose rerank scores each document by the words it shares with the query."""

    def __init__(self, fail: BaseException | None = None, times: int | None = None) -> None:
        self.seen: list[RerankRequest] = []
        self.fail, self.times = fail, times  # ``times``: fail the first n calls only (None: every one)

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_rerank(self, ctx: Any, request: RerankRequest) -> Awaitable[RerankResponse]:
        async def rank() -> RerankResponse:
            self.seen.append(request)
            if self.fail is not None and (self.times is None or len(self.seen) <= self.times):
                raise self.fail
            words = set(request.query.lower().split())
            scores = [len(words & set(d.lower().rstrip(".").split())) / 10 for d in request.documents]
            order = sorted(range(len(scores)), key=lambda i: -scores[i])[:request.top_n]
            return RerankResponse(provider=ctx.name, model=request.model, search_units=1,
                                  usage=Usage(estimated=True), results=[
                                      RerankResult(index=i, relevance_score=scores[i],
                                                   document=request.documents[i]) for i in order])
        return rank()


class Chatter:
    """A provider with no rerank hook."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)


class Observer:
    """A lifecycle plugin: what it was told, and a per-attempt refusal on demand."""

    def __init__(self, refuse: bool = False) -> None:
        self.before: list[CallInfo] = []
        self.after: list[tuple[CallInfo, CallOutcome]] = []
        self.attempts: list[AttemptInfo] = []
        self.refuse = refuse

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> None:
        self.before.append(call)

    @hookimpl
    def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> None:
        self.attempts.append(attempt)
        if self.refuse:
            raise PolicyDenied("no reranking here", provider=attempt.provider, model=attempt.model)

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.after.append((call, outcome))


def client(**plugins: object) -> AsyncClient:
    return AsyncClient(plugins={"r": Ranker(), "c": Chatter(), **plugins}, autoload=False,
                       config_file=False, env={})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_rerank_orders_the_documents_and_says_how_it_was_routed_and_priced() -> None:
    ranker = Ranker()

    async def main() -> RerankResponse:
        async with client(r=ranker) as c:
            return await c.rerank("r/rank-1", "capital of France", DOCS, top_n=2, max_tokens_per_doc=512)

    response = run(main())
    assert [(r.index, r.document) for r in response.results] == [(0, DOCS[0]), (1, DOCS[1])]
    assert response.search_units == 1 and response.provider == "r" and response.model == "rank-1"
    (sent,) = ranker.seen
    assert sent == RerankRequest(model="rank-1", query="capital of France", documents=tuple(DOCS), top_n=2,
                                 extra={"max_tokens_per_doc": 512})
    assert response.trace is not None and response.trace.answered_by == "r/rank-1"
    # Nothing counted in tokens and no price per search: unknown, never zero.
    assert response.cost is not None and response.cost.total is None and response.cost.status == "unknown"


def test_the_sync_client_reranks_too() -> None:
    with Client(plugins={"r": Ranker()}, autoload=False, config_file=False, env={}) as c:
        response = c.rerank("r/rank-1", "Seine Paris", DOCS)
    assert [r.index for r in response.results] == [2, 0, 1]


def test_one_string_is_one_document() -> None:
    ranker = Ranker()
    run(_rerank(client(r=ranker), "r/m", "q", "a single document"))
    assert ranker.seen[0].documents == ("a single document",)


async def _rerank(c: AsyncClient, *args: Any, **kwargs: Any) -> RerankResponse:
    async with c:
        return await c.rerank(*args, **kwargs)


@pytest.mark.parametrize(("query", "documents", "top_n", "field"), [
    ("", DOCS, None, "query"), ("   ", DOCS, None, "query"), ("q", [], None, "documents"),
    ("q", ["ok", 3], None, "documents[1]"), ("q", DOCS, 0, "top_n"), ("q", DOCS, True, "top_n"),
    ("q", DOCS, "2", "top_n"), ("q", None, None, "documents"), ("q", {"a": 1}, None, "documents"),
    (None, DOCS, None, "query")])
def test_a_bad_request_is_refused_before_anything_is_sent(query: str, documents: Any, top_n: Any,
                                                          field: str) -> None:
    ranker = Ranker()
    with pytest.raises(InvalidRequestError) as info:
        run(_rerank(client(r=ranker), "r/m", query, documents, top_n=top_n))
    assert info.value.field == field and ranker.seen == []


def test_a_provider_without_rerank_says_so() -> None:
    with pytest.raises(UnsupportedFeatureError, match="does not support rerank") as info:
        run(_rerank(client(), "c/m", "q", DOCS))
    assert info.value.provider == "c"


def test_a_chain_of_rerankers_skips_a_provider_that_cannot_rerank_and_falls_back() -> None:
    """A chain you define for reranking: ``c`` has no rerank hook and is skipped with its reason; ``r1``
    fails and ``r2`` answers. The lifecycle hears one call, of the chain, answered by ``r2``."""
    busy = ServerError("busy", provider="r1", model="m", status_code=503)
    first, second, observer = Ranker(fail=busy), Ranker(), Observer()
    c = AsyncClient(plugins={"c": Chatter(), "r1": first, "r2": second, "obs": observer}, autoload=False,
                    config_file=False, env={},
                    chains={"rank": {"models": ["c/m", "r1/m", "r2/m"], "retries": 0}})
    response = run(_rerank(c, "chain/rank", "capital France", DOCS, top_n=1))
    assert [r.index for r in response.results] == [0] and response.provider == "r2"
    assert [r.model for r in first.seen + second.seen] == ["m", "m"]  # each asked for its own model
    trace = response.trace
    assert trace is not None and trace.answered_by == "r2/m"
    assert [(s.model, s.reason) for s in trace.skipped] == [("c/m", NO_RERANK)]
    assert [(a.model, a.error_type) for a in trace.attempts] == [("r1/m", "ServerError"), ("r2/m", None)]
    ((call, outcome),) = observer.after
    assert (call.kind, call.address, outcome.status, outcome.provider) == ("rerank", "chain/rank", "ok", "r2")
    assert [a.address for a in observer.attempts] == ["r1/m", "r2/m"]  # admitted per attempt


def test_a_chain_with_no_reranker_is_a_routing_error_saying_why() -> None:
    c = AsyncClient(plugins={"c": Chatter()}, autoload=False, config_file=False, env={},
                    chains={"chatty": ["c/m"]})
    with pytest.raises(RoutingError) as info:
        run(_rerank(c, "chain/chatty", "q", DOCS))
    trace = info.value.trace
    assert trace is not None
    assert [(s.model, s.reason) for s in trace.skipped] == [("c/m", NO_RERANK)]


def test_a_plugin_bug_is_a_typed_error_naming_the_plugin() -> None:
    with pytest.raises(RequestBuildError, match="plugin 'r' failed"):
        run(_rerank(client(r=Ranker(fail=KeyError("results"))), "r/m", "q", DOCS))


def test_the_lifecycle_sees_a_rerank_once_admitted_per_attempt() -> None:
    observer = Observer()
    run(_rerank(client(obs=observer), "r/m", "capital", DOCS, tags={"team": "search"}, caller="svc"))
    (call,) = observer.before
    assert (call.kind, call.address, call.caller, call.tags) == ("rerank", "r/m", "svc", {"team": "search"})
    assert isinstance(call.request, RerankRequest)
    ((seen, outcome),) = observer.after
    assert seen is call and outcome.status == "ok" and isinstance(outcome.response, RerankResponse)
    assert (outcome.provider, outcome.model) == ("r", "m") and outcome.cost is not None
    (attempt,) = observer.attempts
    # The attempt's worst case: the query and the documents, as input; nothing comes out.
    assert attempt.estimate.input_tokens > 0 and attempt.estimate.output_tokens == 0


def test_a_refused_attempt_sends_nothing() -> None:
    ranker, observer = Ranker(), Observer(refuse=True)
    with pytest.raises(PolicyDenied, match="no reranking here"):
        run(_rerank(client(r=ranker, obs=observer), "r/m", "q", DOCS))
    assert ranker.seen == [] and observer.after[0][1].status == "error"


def test_the_records_are_public_frozen_and_keyword_only() -> None:
    for cls in (RerankRequest, RerankResult, RerankResponse):
        assert getattr(modelplex, cls.__name__) is cls and cls.__name__ in modelplex.__all__
        assert cls.__slots__ and cls.__attrs_attrs__  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            cls("positional")
    result = RerankResult(index=0, relevance_score=0.5, document="d")
    with pytest.raises(AttributeError):
        result.index = 1  # type: ignore[misc]


def test_retries_configured_for_a_model_retry_a_failed_rerank() -> None:
    """Retries configured route a rerank as they route a chat: a 503 is tried again, and the trace says
    so."""
    ranker = Ranker(fail=ServerError("busy", provider="r", model="m", status_code=503), times=1)
    c = AsyncClient(plugins={"r": ranker}, autoload=False, config_file=False, env={},
                    routing={"retries": 2, "backoff": 0.01})
    assert c.router.route("r/m") is not None  # the routed branch, not the direct one
    response = run(_rerank(c, "r/m", "capital", DOCS, top_n=1))
    assert [r.index for r in response.results] == [0] and len(ranker.seen) == 2
    assert response.trace is not None
    assert [a.error_type for a in response.trace.attempts] == ["ServerError", None]
    assert response.cost is not None  # priced as the direct branch prices it: unknown here, not absent


def test_a_models_rate_limit_holds_for_reranks() -> None:
    ranker = Ranker()
    c = AsyncClient(plugins={"r": ranker}, autoload=False, config_file=False, env={},
                    limits={"r": {"rpm": 2, "window": 30}}, routing={"on_limit": "fail"})

    async def three() -> None:
        async with c:
            await c.rerank("r/m", "q", DOCS)
            await c.rerank("r/m", "q", DOCS)
            await c.rerank("r/m", "q", DOCS)

    with pytest.raises(LocalRateLimitError, match="no request was sent"):
        run(three())
    assert len(ranker.seen) == 2


def test_a_configured_policy_decides_a_rerank_even_as_the_clients_first_call(tmp_path: Any) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[policy]\n[[policy.rules]]\nname = "no ranking"\ndeny_models = ["r/*"]\n')
    ranker = Ranker()
    c = AsyncClient(plugins={"r": ranker}, autoload=False, config_file=config, env={})
    with pytest.raises(PolicyDenied, match="no ranking"):
        run(_rerank(c, "r/m", "q", DOCS))
    assert ranker.seen == []
