"""End to end: the installed ``cohere`` plugin against a real HTTP server on 127.0.0.1 speaking Cohere's
format (the shared ``ScriptedServer``), through the public clients: the recorded streams replayed
frame by frame, a stream cut or malformed mid-way, error answers, embeddings in batches, rerank and the
paged model list."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from cohere_helpers import recording, stream_data
from modelplex_cohere.models import model_info

import modelplex
from modelplex import Citation, CitationAdded, CitationSource, FinishReason, Usage
from modelplex.errors import (
    AuthenticationError,
    InvalidRequestError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    StreamInterruptedError,
)
from modelplex_testing import serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "co-e2e-test-key-0123456789abcdef"


def frames(name: str) -> list[bytes]:
    """A recorded stream's SSE frames, each sent (and flushed) on its own."""
    return [f"event: {d['type']}\ndata: {json.dumps(d)}\n\n".encode() for d in stream_data(name)] + [
        b"data: [DONE]\n\n"]


def sse(events: list[bytes], **options: Any) -> Reply:
    return Reply(headers={"content-type": "text/event-stream"}, events=events, **options)


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"cohere": {"base_url": f"http://127.0.0.1:{server.port}",
                                                  "api_key": KEY}}, config_file=False, env={})


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies, routes=None: ScriptedServer(replies, routes)) as start:
        yield start


def test_a_recorded_stream_with_its_plan_and_parallel_calls(serve: Any) -> None:
    server = serve(sse(frames("07_stream_parallel_tool_calls")))
    with client(server) as c, c.stream("cohere/command-r-plus", "Weather and sights in San Francisco?",
                                       tools=[{"name": "weather"}, {"name": "cityAttractions"}]) as s:
        events = list(s)
    response = s.response
    assert response is not None and response.reasoning.startswith("I will use the weather tool")
    assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("weather", {"location": "San Francisco"}), ("cityAttractions", {"city": "San Francisco"})]
    assert response.usage == Usage(input=119, output=44) and response.finish_reason is FinishReason.TOOL_CALLS
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="TOOL_CALL")
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v2/chat") and sent.json["stream"] is True
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert response.cost is not None  # priced from the catalog (command-r-plus is not in it: unknown)


def test_streamed_citations_arrive_as_events_and_on_the_response(serve: Any) -> None:
    server = serve(sse(frames("09_stream_citations")))
    with client(server) as c, c.stream("cohere/command-r-plus", "What are the key benefits?") as s:
        events = list(s)
    document = "AI provides: 1. Automation of tasks 2. Better decision-making 3. Cost reduction"
    expected = Citation(text="automation of tasks", start=21, end=40, kind="TEXT_CONTENT", sources=[
        CitationSource(kind="document", id="doc:0", title="benefits.txt", text=document)])
    assert CitationAdded(citation=expected) in events
    assert s.response is not None and s.response.citations == (expected,)
    assert s.response.text[21:40] == "automation of tasks"


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked-body-cut", "connection-closed"])
def test_a_stream_cut_before_message_end_raises_after_what_arrived(serve: Any, chunked: bool) -> None:
    server = serve(sse(frames("02_stream_text"), cut_after=6, chunked=chunked))
    seen: list[Any] = []
    with client(server) as c, pytest.raises(StreamInterruptedError, match="cohere/command-r"), \
            c.stream("cohere/command-r", "I'm Pickle Rick") as s:
        seen.extend(s)
    assert any(isinstance(e, modelplex.TextDelta) for e in seen)
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


def test_a_malformed_event_mid_stream_names_its_path(serve: Any) -> None:
    good = frames("02_stream_text")
    bad = (b'event: content-delta\ndata: {"type":"content-delta","index":0,'
           b'"delta":{"message":{"content":7}}}\n\n')
    server = serve(sse([*good[:4], bad, *good[4:]]))
    with client(server) as c, pytest.raises(ResponseParseError) as info, \
            c.stream("cohere/command-r", "hi") as s:
        list(s)
    assert info.value.field == "delta.message.content" and info.value.provider == "cohere"


def test_a_reply_that_is_not_json_is_a_parse_error(serve: Any) -> None:
    server = serve(Reply.text("<html>bad gateway</html>", 200, "text/html"))
    with client(server) as c, pytest.raises(ResponseParseError):
        c.chat("cohere/command-r", "hi")


def test_429_and_401_and_503_map_with_the_provider_named(serve: Any) -> None:
    server = serve(Reply.json({"message": "You are past the per minute request limit, please wait and try "
                                          "again later."}, status=429, **{"retry-after": "7"}),
                   Reply.json({"id": "e1", "message": "invalid api token"}, status=401),
                   Reply.json({"message": "invalid token"}, status=498),
                   Reply.json({"message": "internal server error"}, status=503))
    with client(server) as c:
        with pytest.raises(RateLimitError) as limit:
            c.chat("cohere/command-r", "hi")
        assert limit.value.retry_after == 7.0 and limit.value.is_retryable
        with pytest.raises(AuthenticationError, match="invalid api token") as auth:
            c.chat("cohere/command-r", "hi")
        assert auth.value.status_code == 401 and not auth.value.is_retryable
        with pytest.raises(AuthenticationError) as token:
            c.chat("cohere/command-r", "hi")
        assert token.value.status_code == 498
        with pytest.raises(ServerError) as server_error:
            c.chat("cohere/command-r", "hi")
        assert server_error.value.is_retryable
    for error in (limit.value, auth.value, token.value, server_error.value):
        assert error.provider == "cohere" and KEY not in repr(error) and KEY not in str(vars(error))


def test_an_error_before_a_stream_starts_is_typed(serve: Any) -> None:
    server = serve(Reply.json({"message": "invalid api token"}, status=401))
    with client(server) as c, pytest.raises(AuthenticationError, match="invalid api token"), \
            c.stream("cohere/command-r", "hi") as s:
        list(s)


def test_embeddings_in_batches_with_input_type_and_truncate(serve: Any) -> None:
    def reply(n: int, tokens: int) -> Reply:
        return Reply.json({"id": "e", "embeddings": {"float": [[0.5, float(i)] for i in range(n)]},
                           "meta": {"billed_units": {"input_tokens": tokens}},
                           "response_type": "embeddings_by_type"})

    server = serve(reply(96, 200), reply(4, 9))
    texts = [f"text {i}" for i in range(100)]
    with client(server) as c:
        response = c.embed("cohere/embed-v4.0", texts, task_type="search_query", truncate="END",
                           dimensions=256)
    assert len(response.vectors) == 100 and response.vectors[96] == (0.5, 0.0)
    assert response.usage == Usage(input=209) and response.warnings == ()
    first, second = (r.json for r in server.requests)
    assert first == {"model": "embed-v4.0", "texts": texts[:96], "input_type": "search_query",
                     "embedding_types": ["float"], "output_dimension": 256, "truncate": "END"}
    assert second["texts"] == texts[96:] and server.requests[0].path == "/v2/embed"
    assert response.cost is not None and response.cost.total is not None  # embed-v4.0 is priced


def test_embeddings_name_their_defaults_and_refuse_what_cohere_cannot_take(serve: Any) -> None:
    server = serve(Reply.json(recording("12_embed").response["body"]))
    with client(server) as c:
        response = c.embed("cohere/embed-english-v3.0", ["sunny day at the beach", "rainy day in the city"])
        with pytest.raises(InvalidRequestError, match="truncate"):
            c.embed("cohere/embed-english-v3.0", ["x"], task_type="search_query", truncate="MIDDLE")
        with pytest.raises(InvalidRequestError, match=r"Cohere takes search_document"):
            c.embed("cohere/embed-english-v3.0", ["x"], task_type="summarize")
        retrieval = c.embed("cohere/embed-english-v3.0", ["sunny day at the beach", "rainy day in the city"],
                            task_type="RETRIEVAL_QUERY")
    assert [w.code for w in response.warnings] == ["default-setting"]
    assert [r.json["input_type"] for r in server.requests] == ["search_document", "search_query"]
    assert retrieval.warnings == () and len(server.requests) == 2


def test_rerank_over_the_wire(serve: Any) -> None:
    recorded = recording("13_rerank")
    server = serve(Reply.json(recorded.response["body"]))
    with client(server) as c:
        response = c.rerank("cohere/rerank-v3.5", "Test query", ["This is a test document.",
                                                                  "Another test document."], top_n=3)
    assert [(r.index, r.relevance_score) for r in response.results] == [(0, 0.10415817), (1, 0.0872602)]
    assert response.results[1].document == "Another test document." and response.search_units == 1
    sent = server.requests[0]
    assert sent.path == "/v2/rerank" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json == {k: v for k, v in recorded.request_body.items() if k != "max_tokens_per_doc"}
    assert response.cost is not None and response.cost.total is None  # billed per search: unknown


def test_a_rerank_answered_503_is_retried_when_retries_are_configured(serve: Any) -> None:
    recorded = recording("13_rerank")
    server = serve(Reply.json({"message": "service unavailable"}, status=503),
                   Reply.json(recorded.response["body"]))
    cohere = {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}
    with modelplex.Client(providers={"cohere": cohere},
                          routing={"retries": 1, "backoff": 0.01}, config_file=False, env={}) as c:
        response = c.rerank("cohere/rerank-v3.5", "Test query", ["This is a test document.",
                                                                  "Another test document."], top_n=3)
    assert [r.index for r in response.results] == [0, 1] and len(server.requests) == 2
    assert response.trace is not None
    assert [(a.error_type, a.status_code) for a in response.trace.attempts] == [("ServerError", 503),
                                                                                (None, None)]


def test_a_rerank_result_outside_the_documents_is_a_parse_error(serve: Any) -> None:
    server = serve(Reply.json({"results": [{"index": 5, "relevance_score": 0.9}]}))
    with client(server) as c, pytest.raises(ResponseParseError) as info:
        c.rerank("cohere/rerank-v3.5", "q", ["only one"])
    assert info.value.field == "results[0].index"


@pytest.mark.feature("model_listing", provider="cohere")
def test_the_model_list_pages_and_says_what_each_model_does(serve: Any) -> None:
    server = serve(
        Reply.json({"models": [{"name": "command-a-03-2025", "endpoints": ["generate", "chat", "summarize"],
                                "finetuned": False, "context_length": 256000,
                                "features": ["tools", "json_mode", "json_schema", "strict_tools"]}],
                    "next_page_token": "p2"}),
        Reply.json({"models": [{"name": "embed-v4.0", "endpoints": ["embed"], "context_length": 128000,
                                "features": None},
                               {"name": "rerank-v3.5", "endpoints": ["rerank"], "context_length": 4096},
                               {"endpoints": ["chat"]}]}))
    with client(server) as c:
        models = {m.id: m for m in c.list_models("cohere")}
    assert set(models) == {"command-a-03-2025", "embed-v4.0", "rerank-v3.5"}
    command = models["command-a-03-2025"].capabilities
    assert (command.chat, command.tools, command.json_schema, command.vision) == (True, True, True, False)
    embed = models["embed-v4.0"].capabilities
    assert (embed.chat, embed.embeddings) == (False, True)
    # What the listing leaves out stays unknown (the catalog's facts are merged over it by the client).
    unlisted = model_info("cohere", {"name": "new-model", "endpoints": ["chat"], "features": None})
    caps = unlisted.capabilities
    assert (caps.chat, caps.tools, unlisted.context_window) == (True, None, None)
    assert models["rerank-v3.5"].context_window == 4096
    assert [r.path for r in server.requests] == ["/v1/models?page_size=1000",
                                                  "/v1/models?page_size=1000&page_token=p2"]


@pytest.mark.feature("cost", provider="cohere")
def test_the_catalog_prices_a_command_a_reply(serve: Any) -> None:
    body = recording("03_chat_tool_call").response["body"]
    server = serve(Reply.json(body))
    with client(server) as c:
        response = c.chat("cohere/command-a-03-2025", "what is the value of magic_function(3)?",
                          tools=[{"name": "magic_function"}])
    assert response.usage == Usage(input=60, output=27)
    assert response.cost is not None and response.cost.total == Decimal("0.00042")  # 60 x 2.5 + 27 x 10 per M


def test_documents_go_through_extra_and_the_reply_cites_them(serve: Any) -> None:
    recorded = recording("08_chat_citations")
    server = serve(Reply.json(recorded.response["body"]))
    with client(server) as c:
        reply = c.chat("cohere/command-r", "What color is the sky?",
                       extra={"documents": recorded.request_body["documents"]})
    assert server.requests[0].json == recorded.request_body
    assert [(x.text, x.start, x.end, [s.id for s in x.sources]) for x in reply.citations] == [
        ("green.", 11, 17, ["doc-0"])]


@pytest.mark.parametrize(("body", "field"), [
    ({"embeddings": {"float": [[0.1, 0.2]]}}, "embeddings.float"),
    ({"embeddings": {"int8": [[1], [2]]}}, "embeddings.float"),
    ({"embeddings": {"float": [[0.1], ["x"]]}}, "embeddings.float[1][0]")])
def test_a_malformed_embedding_reply_names_its_path(serve: Any, body: dict[str, Any], field: str) -> None:
    server = serve(Reply.json(body))
    with client(server) as c, pytest.raises(ResponseParseError) as info:
        c.embed("cohere/embed-v4.0", ["one", "two"], task_type="clustering")
    assert info.value.field == field
