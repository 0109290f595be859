"""A rerank through the cohere plugin, replayed from its recorded exchange (``fixtures/cohere``, from
langchain-ai/langchain-cohere, MIT), is a client span of its own: the conventions name no reranking
operation, so ``gen_ai.operation.name`` is the custom ``rerank``, and its tokens are input only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import modelplex_cohere.plugin as COHERE
from conftest import LATEST, provider_client, telemetry
from opentelemetry.trace import SpanKind, StatusCode

import modelplex
from modelplex_testing import Recording, Reply

RERANK = Recording.load(Path(__file__).parent / "fixtures" / "cohere" / "13_rerank.json")


def cohere_client(server: Any, plugin: Any) -> modelplex.AsyncClient:
    return provider_client("cohere", COHERE, {"base_url": f"http://127.0.0.1:{server.port}"}, plugin)


def test_a_rerank_is_a_rerank_span_with_what_the_provider_billed(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply.json(RERANK.response["body"]))

    async def main() -> Any:
        async with cohere_client(server, t.plugin) as c:
            return await c.rerank("cohere/rerank-v3.5", "Test query",
                                  ["This is a test document.", "Another test document."], top_n=3)

    response = asyncio.run(main())
    assert [r.index for r in response.results] == [0, 1]
    assert server.requests[0].path == "/v2/rerank"
    span = t.span()
    assert span.name == "rerank rerank-v3.5" and span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in (
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "gen_ai.response.id", "modelplex.rerank.search_units", "modelplex.call.kind")} == {
        "gen_ai.operation.name": "rerank", "gen_ai.provider.name": "cohere",
        "gen_ai.request.model": "rerank-v3.5", "gen_ai.response.model": "rerank-v3.5",
        "gen_ai.response.id": "4174a27b-ad53-477f-a667-9ded674ec807", "modelplex.rerank.search_units": 1,
        "modelplex.call.kind": "rerank"}
    assert "gen_ai.response.finish_reasons" not in attributes
    # Billed per search, at no price the catalog knows: unknown, never 0.
    assert attributes["modelplex.cost.status"] == "unknown" and "modelplex.cost.total" not in attributes
    (duration,) = t.points("gen_ai.client.operation.duration")
    assert duration.count == 1 and dict(duration.attributes)["gen_ai.operation.name"] == "rerank"
    token_types = {p.attributes["gen_ai.token.type"] for p in t.points("gen_ai.client.token.usage")}
    assert "output" not in token_types


def test_a_failed_rerank_is_an_error_span(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply.json({"message": "invalid api token"}, status=401))

    async def main() -> None:
        async with cohere_client(server, t.plugin) as c:
            await c.rerank("cohere/rerank-v3.5", "q", ["d"])

    try:
        asyncio.run(main())
    except modelplex.errors.AuthenticationError:
        pass
    else:
        raise AssertionError("a 401 must raise AuthenticationError")
    span = t.span()
    assert span.name == "rerank rerank-v3.5" and span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "AuthenticationError"
